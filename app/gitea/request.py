"""One Gitea request as the client describes it, and the rules every request obeys before it is sent:
path values that cannot move the URL, and only reads plus the write tools' own writes."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote

from app.gitea.errors import GiteaError, GiteaValidationError

log = logging.getLogger(__name__)

READ_METHODS = frozenset({"GET", "HEAD"})
# Path parameters that Gitea routes as wildcards, so their slashes stay slashes.
SLASHED_PARAMS = frozenset({"filepath", "branch", "basehead", "archive", "ref"})
# Path parameters the caller has already escaped the way Gitea spells them (a wiki page's web path, where '+'
# is a space and '%XX' an escaped byte: Gitea reads the raw segment): sent as they are once checked.
ESCAPED_PARAMS = frozenset({"pageName"})
ESCAPED_SEGMENT = re.compile(r"^(?:[A-Za-z0-9_.~+-]|%[0-9A-F]{2})+$")
# Segments that any URL normaliser (urllib3 included) resolves, so they would move the request elsewhere.
DOT_SEGMENTS = frozenset({"", ".", ".."})
# The only requests other than reads this server ever sends: those the write tools need. No DELETE, no
# repository file writes, no merges, no administration; a new write endpoint is a reviewed edit of this list.
ALLOWED_WRITES = frozenset({
    ("POST", "/repos/{owner}/{repo}/issues"),
    ("PATCH", "/repos/{owner}/{repo}/issues/{index}"),
    ("POST", "/repos/{owner}/{repo}/issues/{index}/comments"),
    ("PATCH", "/repos/{owner}/{repo}/issues/comments/{id}"),
    ("POST", "/repos/{owner}/{repo}/issues/{index}/labels"),
    ("PUT", "/repos/{owner}/{repo}/issues/{index}/labels"),
    ("POST", "/repos/{owner}/{repo}/issues/{index}/assignees"),
    ("POST", "/repos/{owner}/{repo}/labels"),
    ("PATCH", "/repos/{owner}/{repo}/labels/{id}"),
    ("POST", "/repos/{owner}/{repo}/milestones"),
    ("POST", "/repos/{owner}/{repo}/pulls"),
    ("POST", "/repos/{owner}/{repo}/pulls/{index}/reviews"),
    ("POST", "/repos/{owner}/{repo}/releases"),
    ("PATCH", "/repos/{owner}/{repo}/releases/{id}"),
    ("POST", "/repos/{owner}/{repo}/branches"),
    ("POST", "/repos/{owner}/{repo}/wiki/new"),
    ("PATCH", "/repos/{owner}/{repo}/wiki/page/{pageName}"),
    ("POST", "/repos/{owner}/{repo}/actions/runs/{run}/rerun"),
    ("POST", "/repos/{owner}/{repo}/actions/runs/{run}/rerun-failed-jobs"),
})


@dataclass(frozen=True)
class GiteaRequest:
    """One request as the client describes it: the swagger template and its values."""

    method: str
    template: str
    path: Mapping[str, str | int] = field(default_factory=dict)
    query: Mapping[str, Any] | None = None
    body: Mapping[str, Any] | None = None
    stream: bool = False

    @property
    def route(self) -> str:
        """Return the metric label: method and template, never the concrete path."""
        return f"{self.method} {self.template}"

    def url_path(self) -> str:
        """Return the template filled with percent-encoded path values."""
        return self.template.format(**{k: encode_segment(k, v) for k, v in self.path.items()})

    def query_params(self) -> dict[str, str | list[str]] | None:
        """Return query values as Gitea reads them; None values are left out."""
        if not self.query:
            return None
        return {k: query_value(v) for k, v in self.query.items() if v is not None}


class UnsafePathValue(GiteaValidationError):
    """A path value that would change which URL is requested; it is never sent."""

    def __init__(self, name: str, value: str, reason: str) -> None:
        super().__init__(
            f"{name}={value[:200]!r} was not sent to Gitea: {reason}. Give a plain name "
            "(slashes only between non-empty parts, no '.' or '..' parts).",
            details={"parameter": name},
        )


class RefusedWrite(GiteaError):
    """A request outside the read methods and ALLOWED_WRITES; it is never sent."""

    status, code = 403, "write_not_allowed"

    def __init__(self, call: GiteaRequest) -> None:
        super().__init__(
            f"{call.route} was not sent to Gitea: this server sends only reads and the write requests of its "
            "write tools (never DELETE, repository file writes or merges).",
            details={"route": call.route},
        )


def check_allowed(call: GiteaRequest) -> None:
    """Raise RefusedWrite unless the call is a read or one of ALLOWED_WRITES."""
    method = call.method.upper()  # requests upper-cases the method it sends; compare what goes on the wire
    if method not in READ_METHODS and (method, call.template) not in ALLOWED_WRITES:
        log.warning("gitea_write_refused", extra={"route": call.route})
        raise RefusedWrite(call)


def encode_segment(name: str, value: str | int) -> str:
    """Percent-encode one path value; wildcard parameters keep their slashes, nothing else is left raw.

    Refuses values whose dot segments a URL normaliser would resolve: `branch="../../x"` must
    never reach another repository's route.
    """
    text = str(value)
    if name in ESCAPED_PARAMS:
        return escaped_segment(name, text)
    slashed = name in SLASHED_PARAMS
    parts = text.split("/") if slashed else [text]
    for part in parts:
        if part in DOT_SEGMENTS:
            raise UnsafePathValue(name, text, unsafe_reason(part))
    # quote() keeps only letters, digits and '_.-~' (plus '/' here): '?', '#' and '%' are always encoded.
    return quote(text, safe="/" if slashed else "")


def escaped_segment(name: str, text: str) -> str:
    """An already-escaped value: unreserved characters, '+' and '%XX' only; neither it nor its decoded form
    is a dot segment or holds a slash, so no normaliser (ours, a proxy's, Gitea's) can move the request."""
    decoded = unquote(text)
    if text in DOT_SEGMENTS or decoded in DOT_SEGMENTS:
        raise UnsafePathValue(name, text, unsafe_reason(decoded))
    if not ESCAPED_SEGMENT.match(text) or "/" in decoded or "\\" in decoded:
        raise UnsafePathValue(name, text, "it is not an escaped page name")
    return text


def unsafe_reason(part: str) -> str:
    """Say which kind of segment was refused."""
    return "it has an empty part ('//', or a leading or trailing '/')" if part == "" else f"it has a '{part}' part"


def query_value(value: Any) -> str | list[str]:
    """Render a query value: booleans as Go parses them, lists as repeated keys ("multi")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    return str(value)


def request_headers(call: GiteaRequest) -> dict[str, str]:
    """Return this call's extra headers: identity encoding for raw bytes."""
    # Bytes on the wire are then the bytes of the file, so the cap counts real content.
    return {"Accept-Encoding": "identity"} if call.stream else {}
