"""Bounded reads of raw bodies: files, archives and diffs never exceed the cap in memory."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import requests
import urllib3

from app.gitea.errors import GiteaTimeout, GiteaUnavailable
from app.gitea.pagination import header_int

CHUNK = 64 * 1024
# After an early stop, the unread rest of a body is read and dropped for at most this long, so the
# connection goes back to the pool instead of being closed: a new connection to Gitea costs a TCP (and
# TLS) handshake and Gitea's own set-up, about 0.5 ms against the loopback emulator alone, more over TLS.
DRAIN_READ = 1024 * 1024  # what one read takes from the socket at most (whatever has arrived)
DRAIN_SECONDS = 0.003


@dataclass(frozen=True)
class Download:
    """At most `cap` bytes of a body; `truncated` says the body went on past the cap.

    `complete` says the whole body was read: False when it went past the cap, or when the caller's
    `enough` ended the read early because it had what it needed.
    """

    content: bytes
    truncated: bool
    content_type: str | None
    declared_size: int | None
    complete: bool = True

    @property
    def text(self) -> str:
        """Return the content as text, replacing bytes that are not UTF-8."""
        return self.content.decode("utf-8", errors="replace")


def read_capped(response: requests.Response, cap: int, enough: Callable[[bytes], bool] | None = None) -> Download:
    """Read at most cap+1 bytes from the socket; what is left unread is drained or dropped with its connection.

    `enough` sees each chunk as it arrives; once it answers True the rest of the body is not kept.
    """
    parts: list[bytes] = []
    remaining = cap + 1  # one byte past the cap proves the body is longer
    ended = False
    declared = header_int(response.headers, "Content-Length")
    try:
        while remaining > 0:
            chunk = read_chunk(response, min(CHUNK, remaining))
            if not chunk:
                ended = True
                break
            parts.append(chunk)
            remaining -= len(chunk)
            if enough is not None and enough(chunk):
                break
        if not ended:
            drain(response, declared, cap + 1 - remaining, cap)
    finally:
        response.close()  # returns a drained connection to the pool; closes one with an unread rest
    body = b"".join(parts)
    return Download(
        content=body[:cap],
        truncated=len(body) > cap,
        content_type=response.headers.get("Content-Type"),
        declared_size=declared,
        complete=len(body) <= cap and (ended or len(body) == declared),
    )


def drain(response: requests.Response, declared: int | None, read: int, cap: int) -> None:
    """Read and drop the rest of a body Gitea says is at most `cap` bytes long, for at most DRAIN_SECONDS.

    The bytes are never kept. A rest of unknown or larger size, an encoded body, a stall or a broken
    stream leaves the connection to be closed, which is always safe: the answer was already read.
    """
    raw = response.raw
    if declared is None or declared - read > cap or raw.connection is None or raw.connection.sock is None:
        return
    if response.headers.get("Content-Encoding", "identity").lower() != "identity":
        return
    sock = raw.connection.sock
    deadline = time.monotonic() + DRAIN_SECONDS
    try:
        while (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)  # one wait at most per read1; the next request sets its own timeout again
            if not raw.read1(DRAIN_READ, decode_content=False):
                return  # at its end urllib3 puts the connection back in the pool
    except (urllib3.exceptions.HTTPError, OSError):
        return  # stalled or broken: the connection is closed with the response


def read_chunk(response: requests.Response, size: int) -> bytes:
    """Read up to `size` body bytes, typing a stalled or broken stream."""
    try:
        return bytes(response.raw.read(size, decode_content=True))
    except urllib3.exceptions.ReadTimeoutError:
        raise GiteaTimeout("Gitea stopped sending the file; try again later.") from None
    except (urllib3.exceptions.HTTPError, OSError):
        raise GiteaUnavailable("Gitea dropped the connection while sending the file.") from None

