"""The upstream credentials of one principal, passed to every call they make."""

from __future__ import annotations

from dataclasses import dataclass, field

SCHEMES = ("token", "bearer")


@dataclass(frozen=True)
class GiteaCredentials:
    """A Gitea token and how to present it; repr and str never show the token."""

    scheme: str
    token: str = field(repr=False)

    def __post_init__(self) -> None:
        if self.scheme.lower() not in SCHEMES:
            raise ValueError(f"scheme must be one of {SCHEMES}, got {self.scheme!r}")
        if not self.token or any(c in self.token for c in "\r\n "):
            raise ValueError("token must be a non-empty string without whitespace")

    def authorization(self) -> str:
        """Return the Authorization header value."""
        return f"{'Bearer' if self.scheme.lower() == 'bearer' else 'token'} {self.token}"

    def __repr__(self) -> str:
        return f"GiteaCredentials(scheme={self.scheme!r}, token='***')"

    __str__ = __repr__
