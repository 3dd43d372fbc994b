"""Which redirect URIs a client may register, and whether a requested one is registered."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import SplitResult, urlsplit

LOOPBACK_IPS = ("127.0.0.1", "::1")
LOOPBACK_HOSTS = (*LOOPBACK_IPS, "localhost")


def _split(uri: str) -> SplitResult | None:
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return None
    return parts


def registrable_problem(uri: str, allowlist: tuple[str, ...]) -> str | None:
    """Why `uri` may not be registered (None: it may): https, http on loopback, or allow-listed."""
    if uri in allowlist:
        return None
    parts = _split(uri)
    if parts is None or not parts.scheme or not parts.netloc or not parts.hostname:
        return f"{uri!r} is not an absolute URI"
    if parts.fragment or "#" in uri:
        return f"{uri!r} has a fragment"
    if parts.username or parts.password:
        return f"{uri!r} carries credentials"
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS):
        return None
    return f"{uri!r} must be https, http on a loopback address, or listed in OAUTH_REDIRECT_ALLOWLIST"


def unregistrable(uris: Iterable[str], allowlist: tuple[str, ...]) -> list[str]:
    """Why some of `uris` may not be registered (empty: all may); DCR and metadata documents alike."""
    return [problem for uri in uris if (problem := registrable_problem(uri, allowlist))]


def is_registered(requested: str, registered: tuple[str, ...]) -> bool:
    """Exact match, except that a loopback IP redirect may use any port (OAuth 2.1, RFC 8252 §7.3)."""
    if requested in registered:
        return True
    asked = _split(requested)
    if asked is None or asked.scheme != "http" or asked.hostname not in LOOPBACK_IPS:
        return False
    return any(_same_but_port(asked, _split(uri)) for uri in registered)


def _same_but_port(asked: SplitResult, known: SplitResult | None) -> bool:
    if known is None or asked.username or asked.password or known.username or known.password:
        return False
    return (asked.scheme, asked.hostname, asked.path, asked.query, asked.fragment) == (
        known.scheme, known.hostname, known.path, known.query, known.fragment)
