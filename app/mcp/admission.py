"""Transport admission for every MCP route: Origin and Host (DNS rebinding), Accept and Content-Type."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from app.config import is_loopback, is_unspecified
from app.errors import AegisError, Forbidden, UnsupportedMediaType
from app.mcp.revisions import HeaderMap

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


class NotAcceptable(AegisError):
    status, code = 406, "not_acceptable"


def hostname_of(authority: str) -> str:
    """The lower-case host name of a Host header or URL authority, without port or brackets."""
    parts = urlsplit(f"//{authority.strip()}")
    try:
        return (parts.hostname or "").lower()
    except ValueError:
        return ""


def normalise_origin(origin: str) -> str:
    parts = urlsplit(origin.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}" if parts.scheme and parts.netloc else ""


class OriginPolicy:
    """Which Host names may reach this server, and which browser origins /mcp; built once from settings."""

    def __init__(self, settings: Any) -> None:
        self.origins = {normalise_origin(o) for o in settings.allowed_origins} - {""}
        self.hosts: set[str] = set()
        self.loopback = settings.binds_loopback
        if settings.public_base_url:
            self.origins.add(normalise_origin(settings.public_base_url))
            self.hosts.add(hostname_of(urlsplit(settings.public_base_url).netloc))
        if not is_loopback(settings.mcp_host) and not is_unspecified(settings.mcp_host):
            self.hosts.add(settings.mcp_host.strip("[]").lower())
        # Bound to every interface without PUBLIC_BASE_URL (an explicit opt-in): no Host list to check.
        self.any_host = not self.loopback and not settings.public_base_url and not self.hosts

    def host_allowed(self, host: str | None) -> bool:
        if host is None or self.any_host:
            return True
        name = hostname_of(host)
        return name in self.hosts or (self.loopback and name in LOOPBACK_NAMES)

    def origin_allowed(self, origin: str | None) -> bool:
        if origin is None:
            return True  # not a browser: nothing to check
        normal = normalise_origin(origin)
        if normal in self.origins:
            return True
        return self.loopback and hostname_of(urlsplit(normal).netloc) in LOOPBACK_NAMES

    def check_host(self, headers: HeaderMap) -> None:
        """Refuse (403) a Host a DNS-rebinding page would send; app.hosts runs this on every route."""
        if not self.host_allowed(headers.get("Host")):
            raise Forbidden("The Host header names a host this server does not serve (DNS rebinding protection).")

    def check_origin(self, headers: HeaderMap) -> None:
        """Refuse (403) a browser Origin that may not call the MCP routes."""
        if not self.origin_allowed(headers.get("Origin")):
            raise Forbidden("This Origin may not call the MCP endpoint; add it to ALLOWED_ORIGINS if it should.")


def media_types(header: str | None) -> set[str]:
    return {part.split(";")[0].strip().lower() for part in (header or "").split(",") if part.strip()}


def accepts_sse(accept: str | None) -> bool:
    """Whether the client can read a text/event-stream answer (a missing Accept means anything)."""
    types = media_types(accept)
    return not types or bool(types & {"text/event-stream", "text/*", "*/*"})


def require_json_post(headers: HeaderMap) -> None:
    """POST bodies are JSON (415), and the answer must be something the client accepts (406)."""
    content_type = media_types(headers.get("Content-Type"))
    if not content_type & {"application/json"}:
        raise UnsupportedMediaType("Send the JSON-RPC message with Content-Type: application/json.")
    accept = media_types(headers.get("Accept"))
    if accept and not accept & {"application/json", "application/*", "*/*"}:
        raise NotAcceptable("Accept must include application/json (and text/event-stream for streamed answers).")


def require_event_stream(headers: HeaderMap) -> None:
    """GET streams need a client that reads text/event-stream (406 otherwise)."""
    if not accepts_sse(headers.get("Accept")):
        raise NotAcceptable("Accept must include text/event-stream to open a stream.")
