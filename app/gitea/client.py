"""GiteaClient: one pooled requests.Session per process; credentials travel with each call."""

from __future__ import annotations

import functools
import json
import logging
import os
import time
from http.cookiejar import DefaultCookiePolicy
from typing import Any
from urllib.parse import urlencode

import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase
from requests.cookies import RequestsCookieJar
from urllib3.util.retry import Retry

from app.gitea.bound import BoundGiteaClient
from app.gitea.credentials import GiteaCredentials
from app.gitea.download import Drainer
from app.gitea.errors import (
    GiteaError,
    GiteaTimeout,
    GiteaUnavailable,
    error_for_status,
    safe_message,
)
from app.gitea.request import READ_METHODS, GiteaRequest, check_allowed, request_headers
from app.gitea.upstream_metrics import observe

RETRIED_METHODS = READ_METHODS
RETRIED_STATUSES = (502, 503, 504)

log = logging.getLogger(__name__)

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
        return BoundGiteaClient(self, credentials)

    def send(self, call: GiteaRequest, credentials: GiteaCredentials | None) -> requests.Response:
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

    def _prepare(self, call: GiteaRequest, credentials: GiteaCredentials | None) -> requests.PreparedRequest:
        """The request Session.request would build from this call, built directly: prepare()'s steps in its order.

        Session.request merges each setting with the session's; every merge of two mappings and every dict
        of params is tested against a runtime_checkable Protocol inside requests (8 slow isinstance calls
        per request). The query is encoded here (as requests encodes it) and the headers merged here; the
        URL requests would build is remembered per (URL, query), and the cookie jar is the one empty jar
        that refuses every cookie (the session's own policy), not a new jar per request.
        """
        prepared = requests.PreparedRequest()
        prepared.prepare_method(call.method)
        prepared.url = prepared_url(self.api_url + call.url_path(), urlencode(call.query_params() or {}, doseq=True))
        prepared.prepare_headers({**self._session.headers, **request_headers(call)})
        prepared.prepare_cookies(NO_COOKIES)
        prepared.prepare_body(None, None, call.body)
        prepared.prepare_auth(CallAuth(credentials), prepared.url)
        prepared.prepare_hooks(None)
        return prepared

    def _transport_failure(self, call: GiteaRequest, exc: requests.RequestException, started: float) -> GiteaError:
        """Count and log a call that got no HTTP response, and type it."""
        timed_out = isinstance(exc, requests.Timeout)
        observe(call.route, "timeout" if timed_out else "connection_error", time.perf_counter() - started)
        log.warning("gitea_request_failed", extra={"route": call.route, "error": type(exc).__name__})
        if timed_out:
            return GiteaTimeout(f"Gitea did not answer within {self.timeouts[1]:g} s; try again later.")
        return GiteaUnavailable("Gitea could not be reached or dropped the connection; try again shortly.")

    def _upstream_error(
        self, call: GiteaRequest, response: requests.Response, credentials: GiteaCredentials | None
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


@functools.lru_cache(maxsize=1024)  # the URLs of recent calls; a few MB at worst with long paths
def prepared_url(url: str, query: str) -> str:
    """The URL requests sends for this URL and encoded query (requests' own prepare_url, a pure function)."""
    scratch = requests.PreparedRequest()
    scratch.prepare_url(url, query)
    return str(scratch.url)


def refusing_jar() -> RequestsCookieJar:
    """An empty cookie jar that accepts no cookie, so it stays empty however many requests share it."""
    jar = RequestsCookieJar()
    jar.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    return jar


NO_COOKIES = refusing_jar()


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
