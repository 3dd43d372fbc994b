"""Client ID Metadata Documents: fetch an https client_id without becoming an SSRF proxy.

https only; every address the host resolves to must be public (no private, loopback,
link-local, metadata, multicast or reserved ranges, IPv6 and IPv4-mapped forms included);
the connection goes to the address we checked (no second DNS lookup); no redirects; 64 KB
cap; timeout; results cached. A document's redirect_uris must pass DCR's rules (app/oauth/redirects.py),
every one of them, or the whole document is refused: no redirect ever goes to an unchecked URI.
OAUTH_CIMD_ALLOW_LOOPBACK (tests only) admits 127.0.0.1 over http.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import socket
import ssl
from typing import Any
from urllib.parse import urlsplit

from marshmallow import ValidationError

from app import json_codec
from app.oauth.clients import Client
from app.oauth.redirects import unregistrable
from app.store import Store
from schemas.dcr import RedirectUrisSchema

MAX_DOCUMENT_BYTES = 64 * 1024
FETCH_TIMEOUT_SECONDS = 5.0
CACHE_PREFIX = "oauth:cimd:"
NAT64 = ipaddress.ip_network("64:ff9b::/96")
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class ClientMetadataError(Exception):
    """The client_id URL cannot be used: the message says why."""


def is_metadata_url(client_id: str) -> bool:
    """A client_id that is an https URL with a path names a metadata document."""
    parts = urlsplit(client_id)
    return parts.scheme in ("https", "http") and bool(parts.netloc) and parts.path not in ("", "/")


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address hidden in an IPv4-mapped, 6to4 or NAT64 IPv6 address."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_allowed(address: IPAddress, allow_loopback: bool) -> bool:
    """Public addresses only; loopback too when the test switch is on."""
    inner = embedded_ipv4(address)
    if inner is not None:
        return address_allowed(inner, allow_loopback)
    if allow_loopback and address.is_loopback:
        return True
    return address.is_global and not address.is_multicast


def resolve(host: str, port: int, allow_loopback: bool) -> str:
    """The one address we will connect to; every address of the host must be allowed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ClientMetadataError(f"cannot resolve {host}") from exc
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    blocked = [str(a) for a in addresses if not address_allowed(a, allow_loopback)]
    if not addresses or blocked:
        raise ClientMetadataError(f"{host} resolves to a non-public address ({', '.join(blocked)}); refused")
    return str(addresses[0])


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a pre-resolved address, with SNI and certificate checks for the real host name."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class PinnedHTTPConnection(http.client.HTTPConnection):
    """Plain HTTP to a pre-resolved loopback address (the test switch only)."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class MetadataDocuments:
    """Fetch, validate and cache client metadata documents."""

    def __init__(self, store: Store, allow_loopback: bool, cache_ttl: int,
                 redirect_allowlist: tuple[str, ...] = ()) -> None:
        self.store = store
        self.allow_loopback = allow_loopback
        self.cache_ttl = max(cache_ttl, 1)
        self.redirect_allowlist = redirect_allowlist

    def client(self, url: str) -> Client:
        """The client the document at `url` describes, or ClientMetadataError."""
        cached = self.store.get(CACHE_PREFIX + url)
        document = json.loads(cached) if cached else self._fetch(url)
        client = client_from_document(url, document, self.redirect_allowlist)
        if not cached:
            self.store.set(CACHE_PREFIX + url, json.dumps(document).encode(), ttl=self.cache_ttl)
        return client

    def _fetch(self, url: str) -> Any:
        parts = urlsplit(url)
        self._check_url(parts.scheme, parts.hostname, parts.fragment, parts.username)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = resolve(parts.hostname or "", port, self.allow_loopback)
        kind = PinnedHTTPSConnection if parts.scheme == "https" else PinnedHTTPConnection
        connection = kind(parts.hostname or "", port, address, FETCH_TIMEOUT_SECONDS)
        try:
            return read_document(connection, parts.path + (f"?{parts.query}" if parts.query else ""))
        except (OSError, http.client.HTTPException) as exc:
            raise ClientMetadataError(f"cannot fetch the client metadata document: {type(exc).__name__}") from exc
        finally:
            connection.close()

    def _check_url(self, scheme: str, host: str | None, fragment: str, username: str | None) -> None:
        if not host or fragment or username:
            raise ClientMetadataError("client_id URL must have a host and no fragment or credentials")
        plain_allowed = self.allow_loopback and scheme == "http" and host in ("127.0.0.1", "::1", "localhost")
        if scheme != "https" and not plain_allowed:
            raise ClientMetadataError("client_id URL must be https")


def read_document(connection: http.client.HTTPConnection, target: str) -> Any:
    """GET the document: 200 only (redirects are not followed), at most 64 KB of JSON."""
    connection.request("GET", target, headers={"Accept": "application/json", "User-Agent": "AegisGitea-MCP"})
    response = connection.getresponse()
    if response.status != 200:
        raise ClientMetadataError(f"client metadata document answered {response.status}; redirects are not followed")
    body = response.read(MAX_DOCUMENT_BYTES + 1)
    if len(body) > MAX_DOCUMENT_BYTES:
        raise ClientMetadataError("client metadata document is larger than 64 KB")
    try:
        return json_codec.decode(body)
    except json_codec.TooDeeplyNested as exc:
        raise ClientMetadataError(f"client metadata document refused: {exc}") from exc
    except ValueError as exc:
        raise ClientMetadataError("client metadata document is not JSON") from exc


def client_from_document(url: str, document: Any, redirect_allowlist: tuple[str, ...] = ()) -> Client:
    """Validate a document: client_id equal to its URL, redirect URIs as DCR would accept, no shared-secret auth."""
    if not isinstance(document, dict) or document.get("client_id") != url:
        raise ClientMetadataError("client metadata document must be a JSON object whose client_id is its URL")
    uris = registrable_redirect_uris(document, redirect_allowlist)
    method = document.get("token_endpoint_auth_method", "none")
    if method != "none":
        raise ClientMetadataError("metadata-document clients must use token_endpoint_auth_method none")
    name = document.get("client_name")
    return Client(client_id=url, client_name=str(name)[:200] if name else urlsplit(url).hostname or url,
                  redirect_uris=tuple(uris), source="cimd")


def registrable_redirect_uris(document: dict[str, Any], allowlist: tuple[str, ...]) -> list[str]:
    """The document's redirect_uris when every one passes DCR's rules; else the whole document is refused."""
    try:
        uris: list[str] = RedirectUrisSchema().load({"redirect_uris": document.get("redirect_uris")})["redirect_uris"]
    except ValidationError as exc:
        raise ClientMetadataError(f"client metadata document has unusable redirect_uris: {exc.messages}") from None
    problems = unregistrable(uris, allowlist)
    if problems:
        raise ClientMetadataError("client metadata document lists redirect_uris that cannot be registered: "
                                  + "; ".join(problems))
    return uris
