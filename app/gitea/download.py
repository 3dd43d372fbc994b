"""Bounded reads of raw bodies: files, archives and diffs never exceed the cap in memory."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests
import urllib3

from app.gitea.errors import GiteaTimeout, GiteaUnavailable
from app.gitea.pagination import header_int

CHUNK = 64 * 1024
# After an early stop, the unread rest of a body is read and dropped off the caller's thread, so the
# answer does not wait for it and the connection goes back to the pool instead of being closed: a new
# connection to Gitea costs a TCP (and TLS) handshake and Gitea's own set-up, about 0.5 ms against the
# loopback emulator alone. A rest longer than the cap, or one that takes longer than this, is dropped
# with its connection.
DRAIN_SECONDS = 0.02
DRAIN_READ = 1024 * 1024  # what one read takes from the socket at most (whatever has arrived)
DRAINS_PENDING = 4  # beyond this many unfinished drains, a rest is dropped with its connection at once


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


def read_capped(response: requests.Response, cap: int, enough: Callable[[bytes], bool] | None = None,
                drains: Drainer | None = None) -> Download:
    """Read at most cap+1 bytes from the socket; an unread rest goes to `drains`, or is dropped with its connection.

    `enough` sees each chunk as it arrives; once it answers True the rest of the body is not kept.
    """
    parts: list[bytes] = []
    remaining = cap + 1  # one byte past the cap proves the body is longer
    ended = False
    declared = header_int(response.headers, "Content-Length")
    rest_handed_over = False
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
        if not ended and drains is not None:
            rest_handed_over = drains.take(response, declared, cap + 1 - remaining, cap)
    finally:
        if not rest_handed_over:
            response.close()  # returns a connection read to its end to the pool; closes one with an unread rest
    body = b"".join(parts)
    return Download(
        content=body[:cap],
        truncated=len(body) > cap,
        content_type=response.headers.get("Content-Type"),
        declared_size=declared,
        complete=len(body) <= cap and (ended or len(body) == declared),
    )


class Drainer:
    """Reads and drops the unread rest of early-stopped bodies on its own thread (one per process).

    The bytes are never kept. Only a rest Gitea declared no longer than the cap is taken, at most
    DRAINS_PENDING at a time; each gets DRAIN_SECONDS. A stall, a broken stream or an encoded body
    leaves the connection to be closed, which is always safe: the answer was already read.
    """

    def __init__(self) -> None:
        self._slots = threading.BoundedSemaphore(DRAINS_PENDING)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gitea-drain")

    def take(self, response: requests.Response, declared: int | None, read: int, cap: int) -> bool:
        """Start draining the rest; False when it is not worth it (the caller closes the response)."""
        sock = drainable(response, declared, read, cap)
        if sock is None or not self._slots.acquire(blocking=False):
            return False
        try:
            self._executor.submit(self._drain, response, sock)
        except RuntimeError:  # shut down
            self._slots.release()
            return False
        return True

    def _drain(self, response: requests.Response, sock: socket.socket) -> None:
        try:
            drain(response, sock)
        finally:
            response.close()  # at its end urllib3 already put the connection back; else this closes it
            self._slots.release()

    def wait_idle(self, timeout: float = 1.0) -> bool:
        """Wait until no drain is running; True if none is left."""
        deadline = time.monotonic() + timeout
        taken = 0
        try:
            while taken < DRAINS_PENDING:
                if not self._slots.acquire(timeout=max(0.0, deadline - time.monotonic())):
                    return False
                taken += 1
            return True
        finally:
            for _ in range(taken):
                self._slots.release()

    def close(self) -> None:
        """Let running drains end, then take no more."""
        self._executor.shutdown(wait=True)


def drainable(response: requests.Response, declared: int | None, read: int, cap: int) -> socket.socket | None:
    """The socket of a rest worth draining: known size within the cap, unencoded, connection still there."""
    connection = response.raw.connection
    if declared is None or declared - read > cap or connection is None or connection.sock is None:
        return None
    if response.headers.get("Content-Encoding", "identity").lower() != "identity":
        return None
    return connection.sock


def drain(response: requests.Response, sock: socket.socket) -> None:
    """Read the rest of the body for at most DRAIN_SECONDS, each read waiting no longer than what is left."""
    deadline = time.monotonic() + DRAIN_SECONDS
    try:
        while (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)  # one wait at most per read1; the next request sets its own timeout again
            if not response.raw.read1(DRAIN_READ, decode_content=False):
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

