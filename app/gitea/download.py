"""Bounded reads of raw bodies: files, archives and diffs never exceed the cap in memory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import requests
import urllib3

from app.gitea.errors import GiteaTimeout, GiteaUnavailable
from app.gitea.pagination import header_int

CHUNK = 64 * 1024


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
    """Read at most cap+1 bytes from the socket, then drop the connection if more remain.

    `enough` sees each chunk as it arrives; once it answers True the rest of the body is not read.
    """
    parts: list[bytes] = []
    remaining = cap + 1  # one byte past the cap proves the body is longer
    ended = False
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
    finally:
        response.close()  # an unread rest is discarded with its connection, never read
    body = b"".join(parts)
    declared = header_int(response.headers, "Content-Length")
    return Download(
        content=body[:cap],
        truncated=len(body) > cap,
        content_type=response.headers.get("Content-Type"),
        declared_size=declared,
        complete=len(body) <= cap and (ended or len(body) == declared),
    )


def read_chunk(response: requests.Response, size: int) -> bytes:
    """Read up to `size` body bytes, typing a stalled or broken stream."""
    try:
        return bytes(response.raw.read(size, decode_content=True))
    except urllib3.exceptions.ReadTimeoutError:
        raise GiteaTimeout("Gitea stopped sending the file; try again later.") from None
    except (urllib3.exceptions.HTTPError, OSError):
        raise GiteaUnavailable("Gitea dropped the connection while sending the file.") from None

