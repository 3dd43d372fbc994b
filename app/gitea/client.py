"""GiteaClient: one pooled requests.Session per process; credentials travel with each call."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.cookiejar import DefaultCookiePolicy
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase
from urllib3.util.retry import Retry

from app.gitea.credentials import GiteaCredentials
from app.gitea.download import Drainer
from app.gitea.errors import (
    GiteaError,
    GiteaTimeout,
    GiteaUnavailable,
    GiteaValidationError,
    error_for_status,
    safe_message,
)
from app.gitea.metrics import observe

if TYPE_CHECKING:
    from app.gitea.bound import BoundGiteaClient

log = logging.getLogger(__name__)

READ_METHODS = frozenset({"GET", "HEAD"})
RETRIED_METHODS = READ_METHODS
RETRIED_STATUSES = (502, 503, 504)
# Path parameters that Gitea routes as wildcards, so their slashes stay slashes.
SLASHED_PARAMS = frozenset({"filepath", "branch", "basehead", "archive", "ref"})
# Segments that any URL normaliser (urllib3 included) resolves, so they would move the request elsewhere.
DOT_SEGMENTS = frozenset({"", ".", ".."})
# The only requests other than reads this server ever sends: those the write tools need. No DELETE, no
# content writes, no merges, no administration; a new write endpoint is a reviewed edit of this list.
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
    ("POST", "/repos/{owner}/{repo}/releases"),
    ("PATCH", "/repos/{owner}/{repo}/releases/{id}"),
    ("POST", "/repos/{owner}/{repo}/branches"),
})


@dataclass(frozen=True)
class Call:
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

    def __init__(self, call: Call) -> None:
        super().__init__(
            f"{call.route} was not sent to Gitea: this server sends only reads and the write requests of its "
            "write tools (never DELETE, content writes or merges).",
            details={"route": call.route},
        )


def check_allowed(call: Call) -> None:
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
    slashed = name in SLASHED_PARAMS
    parts = text.split("/") if slashed else [text]
    for part in parts:
        if part in DOT_SEGMENTS:
            raise UnsafePathValue(name, text, unsafe_reason(part))
    # quote() keeps only letters, digits and '_.-~' (plus '/' here): '?', '#' and '%' are always encoded.
    return quote(text, safe="/" if slashed else "")


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


def build_session(api_url: str, pool_size: int, retries: int) -> requests.Session:
    """Return a session with one connection pool, bounded retries and no cookie jar."""
    session = requests.Session()
    # Read the environment once (HTTPS_PROXY/NO_PROXY, REQUESTS_CA_BUNDLE) instead of on every call:
    # requests re-scans os.environ per request otherwise, a measurable share of a tool call.
    session.proxies.update(requests.utils.get_environ_proxies(api_url))
    session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    session.trust_env = False
    # A cookie set for one user must never ride along on another user's request.
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    retry = Retry(
        total=retries, connect=retries, read=False, status=retries, other=0,
        allowed_methods=RETRIED_METHODS, status_forcelist=RETRIED_STATUSES,
        backoff_factor=0.25, backoff_max=2.0,
        respect_retry_after_header=False, raise_on_status=False,
    )
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_size, max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers.update({"User-Agent": "AegisGitea-MCP", "Accept": "application/json"})
    return session


class GiteaClient:
    """The process-wide Gitea client; bind() it to a principal's credentials per request."""

    def __init__(
        self,
        base_url: str,
        timeout: float,
        pool_size: int,
        max_file_bytes: int,
        *,
        retries: int = 2,
        connect_timeout: float | None = None,
    ) -> None:
        self.api_url = base_url.rstrip("/") + "/api/v1"
        self.max_file_bytes = max_file_bytes
        self.timeouts = (connect_timeout or min(timeout, 5.0), timeout)
        self._session = build_session(self.api_url, pool_size, retries)
        self.drains = Drainer()  # the unread rest of early-stopped downloads, off the caller's thread
        # What Session.request would merge into every send (trust_env is off), resolved once.
        self._send_settings: dict[str, Any] = {
            "allow_redirects": True, "proxies": self._session.proxies, "verify": self._session.verify, "cert": None,
        }

    def bind(self, credentials: GiteaCredentials | None) -> BoundGiteaClient:
        """Return the typed endpoints, every call carrying these credentials."""
        from app.gitea.bound import BoundGiteaClient

        return BoundGiteaClient(self, credentials)

    def send(self, call: Call, credentials: GiteaCredentials | None) -> requests.Response:
        """Send one call; return the response or raise the typed GiteaError (RefusedWrite before any I/O)."""
        check_allowed(call)
        started = time.perf_counter()
        try:
            response = self._session.send(
                self._prepare(call, credentials), timeout=self.timeouts, stream=call.stream, **self._send_settings
            )
        except requests.RequestException as exc:
            raise self._transport_failure(call, exc, started) from None
        observe(call.route, str(response.status_code), time.perf_counter() - started)
        if response.status_code >= 400:
            raise self._upstream_error(call, response, credentials)
        return response

    def _prepare(self, call: Call, credentials: GiteaCredentials | None) -> requests.PreparedRequest:
        """The request Session.request would build from this call, built directly.

        Session.request merges each setting with the session's; every merge of two mappings and every dict
        of params is tested against a runtime_checkable Protocol inside requests (8 slow isinstance calls
        per request). The query is encoded here (as requests encodes it) and the headers merged here.
        """
        prepared = requests.PreparedRequest()
        prepared.prepare(
            method=call.method, url=self.api_url + call.url_path(), json=call.body, auth=CallAuth(credentials),
            params=urlencode(call.query_params() or {}, doseq=True),
            headers={**self._session.headers, **request_headers(call)},
        )
        return prepared

    def _transport_failure(self, call: Call, exc: requests.RequestException, started: float) -> GiteaError:
        """Count and log a call that got no HTTP response, and type it."""
        timed_out = isinstance(exc, requests.Timeout)
        observe(call.route, "timeout" if timed_out else "connection_error", time.perf_counter() - started)
        log.warning("gitea_request_failed", extra={"route": call.route, "error": type(exc).__name__})
        if timed_out:
            return GiteaTimeout(f"Gitea did not answer within {self.timeouts[1]:g} s; try again later.")
        return GiteaUnavailable("Gitea could not be reached or dropped the connection; try again shortly.")

    def _upstream_error(
        self, call: Call, response: requests.Response, credentials: GiteaCredentials | None
    ) -> GiteaError:
        """Type an error response from Gitea's status and the `message` of its body."""
        secrets = (credentials.token,) if credentials else ()
        message = safe_message(error_message(response), secrets)
        log.info("gitea_error_response", extra={"route": call.route, "status": response.status_code})
        return error_for_status(response.status_code, message, response.headers.get("Retry-After"))

    def close(self) -> None:
        """Close pooled connections (at shutdown and in tests), once running drains have ended."""
        self.drains.close()
        self._session.close()


class CallAuth(AuthBase):
    """Exactly this call's Authorization, or none.

    Passing an auth object also stops requests from filling in credentials from ~/.netrc,
    which would otherwise replace the user's token (or give an anonymous call an identity).
    """

    def __init__(self, credentials: GiteaCredentials | None) -> None:
        self._value = credentials.authorization() if credentials else None

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if self._value is None:
            request.headers.pop("Authorization", None)
        else:
            request.headers["Authorization"] = self._value
        return request

    def __repr__(self) -> str:
        return "CallAuth(***)"


def request_headers(call: Call) -> dict[str, str]:
    """Return this call's extra headers: identity encoding for raw bytes."""
    # Bytes on the wire are then the bytes of the file, so the cap counts real content.
    return {"Accept-Encoding": "identity"} if call.stream else {}


def error_message(response: requests.Response) -> str:
    """Return the `message` field of a Gitea error body, never the raw body (5xx: nothing)."""
    if response.status_code >= 500:
        return ""  # 5xx bodies may carry internals; the status says enough
    try:
        body = json.loads(response.content or b"null")
    except (ValueError, requests.RequestException):
        return ""
    finally:
        response.close()
    message = body.get("message") if isinstance(body, dict) else None
    return message if isinstance(message, str) else ""
