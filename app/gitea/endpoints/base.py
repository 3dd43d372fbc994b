"""What every endpoint group shares: the three shapes of a Gitea answer (object, page, bytes), sent through
a transport (GiteaClient, or the dry run's) with one principal's credentials."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any, Protocol

import requests

from app import json_codec
from app.gitea.credentials import GiteaCredentials
from app.gitea.download import Download, Drainer, read_capped
from app.gitea.errors import GiteaUnavailable
from app.gitea.pagination import DEFAULT_LIMIT, Page, page_from_response
from app.gitea.request import GiteaRequest

JSON = dict[str, Any]
UTF8 = frozenset({"utf-8", "utf8"})

__all__ = ["DEFAULT_LIMIT", "JSON", "Endpoints", "Transport", "present"]


class Transport(Protocol):
    """What sends a request: the process's GiteaClient, or a dry run's stand-in that holds writes back."""

    api_url: str
    max_file_bytes: int
    drains: Drainer

    def send(self, call: GiteaRequest, credentials: GiteaCredentials | None) -> requests.Response: ...


def present(**fields: Any) -> JSON:
    """Return the fields that were given: None means "leave unchanged", 0 and [] are values."""
    return {name: value for name, value in fields.items() if value is not None}


def decode_json(response: requests.Response) -> Any:
    """Return the JSON body; an empty body is None, anything unparsable is Gitea misbehaving.

    orjson reads a UTF-8 body (Gitea's) several times faster than requests' stdlib json, and gives the same
    value wherever it reads one at all; anything it refuses goes to requests as before."""
    if response.status_code == 204 or not response.content:
        return None
    if (response.encoding or "").lower() in UTF8:
        with contextlib.suppress(ValueError):
            return json_codec.parse_utf8(response.content)
    try:
        return response.json()
    except ValueError:
        raise GiteaUnavailable("Gitea sent a response that is not valid JSON; try again shortly.") from None


class Endpoints:
    """A transport bound to one principal's credentials; the endpoint groups add the typed calls."""

    def __init__(self, client: Transport, credentials: GiteaCredentials | None) -> None:
        self._client = client
        self._credentials = credentials

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._client.api_url!r}, {self._credentials!r})"

    def _send(self, call: GiteaRequest) -> requests.Response:
        return self._client.send(call, self._credentials)

    def _json(self, method: str, template: str, *, query: JSON | None = None, body: JSON | None = None,
              **path: str | int) -> Any:
        """Send a call and return its decoded JSON body."""
        return decode_json(self._send(GiteaRequest(method, template, path, query, body)))

    def _object(self, method: str, template: str, *, query: JSON | None = None, body: JSON | None = None,
                **path: str | int) -> JSON:
        """Send a call whose answer is one JSON object."""
        found = self._json(method, template, query=query, body=body, **path)
        if not isinstance(found, dict):
            raise GiteaUnavailable("Gitea answered with something other than a JSON object.")
        return found

    def _page(self, template: str, *, page: int, limit: int, query: JSON | None = None,
              **path: str | int) -> Page:
        """GET one page of a list."""
        response = self._send(GiteaRequest("GET", template, path, {**(query or {}), "page": page, "limit": limit}))
        items = decode_json(response)
        if items is not None and not isinstance(items, list):
            raise GiteaUnavailable("Gitea answered a list request with something other than a list.")
        return page_from_response(response, items or [], page, limit)

    def _download(self, template: str, *, cap: int | None = None, query: JSON | None = None,
                  enough: Callable[[bytes], bool] | None = None, **path: str | int) -> Download:
        """GET a raw body, reading no more than `cap` (default MAX_FILE_SIZE_BYTES) of it, nor past `enough`."""
        response = self._send(GiteaRequest("GET", template, path, query, stream=True))
        return read_capped(response, self._client.max_file_bytes if cap is None else cap, enough, self._client.drains)
