"""OAuth clients: dynamically registered ones (a 0600 JSON file) and Client ID Metadata Documents."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

SECRET_METHODS = ("client_secret_post", "client_secret_basic")
DAY = 24 * 3600
# A registration that never completed a token exchange within this time was abandoned (or abuse): dropped.
UNUSED_CLIENT_TTL = 7 * DAY
# At the cap, the oldest never-used client gives way, but not one that may be in its authorization
# flow right now (consent, Gitea login, code exchange).
REGISTRATION_GRACE = 15 * 60
# last_used_at is rewritten at most this often: one file write per client and day, not per token.
USE_RECORD_INTERVAL = DAY


class RegistryFull(Exception):
    """DCR_MAX_CLIENTS clients are registered already."""


@dataclass(frozen=True)
class Client:
    """A client that may ask for authorization: who it says it is and where codes may go."""

    client_id: str
    client_name: str
    redirect_uris: tuple[str, ...]
    token_endpoint_auth_method: str = "none"  # noqa: S105 - an auth method name
    grant_types: tuple[str, ...] = ("authorization_code", "refresh_token")
    application_type: str = "native"
    source: str = "dcr"  # "dcr" | "cimd"
    issued_at: int = 0
    last_used_at: int = 0  # last token exchange (authorization code or refresh); 0: never completed one
    secret_hash: str | None = field(default=None, repr=False)
    metadata: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def needs_secret(self) -> bool:
        return self.token_endpoint_auth_method in SECRET_METHODS

    def secret_matches(self, secret: str) -> bool:
        return self.secret_hash is not None and hmac.compare_digest(self.secret_hash, secret_hash(secret))

    def registration_response(self, secret: str | None) -> dict[str, Any]:
        """RFC 7591 §3.2.1: the id, when it was issued, the secret (once) and the registered metadata."""
        body: dict[str, Any] = {**self.metadata, "client_id": self.client_id, "client_id_issued_at": self.issued_at,
                                "client_name": self.client_name, "redirect_uris": list(self.redirect_uris),
                                "token_endpoint_auth_method": self.token_endpoint_auth_method,
                                "grant_types": list(self.grant_types), "response_types": ["code"],
                                "application_type": self.application_type}
        if secret is not None:
            body |= {"client_secret": secret, "client_secret_expires_at": 0}
        return body

    def to_record(self) -> dict[str, Any]:
        record = asdict(self)
        record["redirect_uris"], record["grant_types"] = list(self.redirect_uris), list(self.grant_types)
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Client:
        return cls(**{**record, "redirect_uris": tuple(record["redirect_uris"]),
                      "grant_types": tuple(record["grant_types"])})


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ClientRegistry:
    """Registered clients in one JSON file: written atomically with 0600, locked across workers."""

    def __init__(self, path: str, max_clients: int, idle_ttl: int = 30 * DAY) -> None:
        self.path = path
        self.max_clients = max_clients
        self.idle_ttl = idle_ttl  # a used client idle this long holds no live refresh token any more
        self._lock = threading.Lock()
        self._loaded_at: tuple[float, int] | None = None
        self._clients: dict[str, Client] = {}

    def get(self, client_id: str) -> Client | None:
        with self._lock:
            self._refresh()
            return self._clients.get(client_id)

    def register(self, metadata: dict[str, Any]) -> tuple[Client, str | None]:
        """Store a new client; return it and its secret (None for public clients)."""
        secret = secrets.token_urlsafe(32) if metadata["token_endpoint_auth_method"] in SECRET_METHODS else None
        client = new_client(metadata, secret)
        with self._lock, self._file_lock():
            records = self._without_stale(self._read(), client.issued_at)
            if len(records) >= self.max_clients:
                self._evict_oldest_unused(records, client.issued_at)
            records[client.client_id] = client.to_record()
            self._write(records)
            self._loaded_at = None
        return client, secret

    def note_use(self, client: Client, now: int) -> None:
        """Record a completed token exchange, so the client is not evicted as abandoned."""
        if client.source != "dcr" or now - client.last_used_at < USE_RECORD_INTERVAL:
            return
        with self._lock, self._file_lock():
            records = self._read()
            if client.client_id in records:
                records[client.client_id]["last_used_at"] = now
                self._write(records)
                self._loaded_at = None

    def _without_stale(self, records: dict[str, Any], now: int) -> dict[str, Any]:
        """Drop registrations never used within UNUSED_CLIENT_TTL and used ones idle past idle_ttl."""
        return {cid: r for cid, r in records.items() if not is_stale(r, now, self.idle_ttl)}

    def _evict_oldest_unused(self, records: dict[str, Any], now: int) -> None:
        """Make room at the cap by dropping the oldest never-used client, or raise RegistryFull."""
        unused = [(r.get("issued_at", 0), cid) for cid, r in records.items()
                  if not r.get("last_used_at") and now - r.get("issued_at", 0) >= REGISTRATION_GRACE]
        if not unused:
            raise RegistryFull(f"{self.max_clients} clients are registered and in use; DCR_MAX_CLIENTS reached")
        del records[min(unused)[1]]

    def _refresh(self) -> None:
        """Re-read the file when another worker changed it."""
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            self._clients, self._loaded_at = {}, None
            return
        version = (stat.st_mtime, stat.st_size)
        if version != self._loaded_at:
            self._clients = {cid: Client.from_record(r) for cid, r in self._read().items()}
            self._loaded_at = version

    def _read(self) -> dict[str, Any]:
        try:
            with open(self.path, encoding="utf-8") as handle:
                records = json.load(handle)
        except FileNotFoundError:
            return {}
        return records if isinstance(records, dict) else {}

    def _write(self, records: dict[str, Any]) -> None:
        partial = f"{self.path}.{os.getpid()}.{threading.get_ident()}.tmp"
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(descriptor, "w", encoding="utf-8") as handle:
            json.dump(records, handle, indent=1, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, self.path)  # readers see the old file or the new one, never half of one

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        directory = os.path.dirname(self.path) or "."
        os.makedirs(directory, mode=0o700, exist_ok=True)
        descriptor = os.open(self.path + ".lock", os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)


def is_stale(record: dict[str, Any], now: int, idle_ttl: int) -> bool:
    """An abandoned registration, or a client whose every refresh token has expired since its last use."""
    last_used = record.get("last_used_at") or 0
    if not last_used:
        return now - record.get("issued_at", 0) > UNUSED_CLIENT_TTL
    return now - last_used > idle_ttl


OPTIONAL_METADATA = ("scope", "client_uri", "logo_uri", "software_id", "software_version")


def new_client(metadata: dict[str, Any], secret: str | None) -> Client:
    """A freshly registered client from validated registration metadata."""
    return Client(
        client_id=secrets.token_urlsafe(24),
        client_name=metadata.get("client_name") or "Unnamed MCP client",
        redirect_uris=tuple(metadata["redirect_uris"]),
        token_endpoint_auth_method=metadata["token_endpoint_auth_method"],
        grant_types=tuple(metadata["grant_types"]),
        application_type=metadata["application_type"],
        issued_at=int(time.time()),
        secret_hash=secret_hash(secret) if secret is not None else None,
        metadata={name: metadata[name] for name in OPTIONAL_METADATA if metadata.get(name) is not None},
    )
