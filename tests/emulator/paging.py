"""Gitea's pagination: `page`/`limit` parsing, `X-Total-Count` and `Link` headers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import Response, current_app, jsonify, request

DEFAULT_PAGING_NUM = 30
MAX_RESPONSE_ITEMS = 50
T = TypeVar("T")


def query_int(name: str, default: int) -> int:
    """Read an integer query parameter; garbage means the default (Go's ctx.FormInt)."""
    try:
        return int(request.args.get(name, default))
    except ValueError:
        return default


def page_and_limit(default: int = DEFAULT_PAGING_NUM, maximum: int = MAX_RESPONSE_ITEMS) -> tuple[int, int]:
    """Return (page, limit): page <= 0 means 1, limit 0 means the default, above max is clamped."""
    page = max(query_int("page", 1), 1)
    limit = query_int("limit", 0)
    if limit <= 0:
        limit = default
    return page, min(limit, maximum)


def page_slice(items: Sequence[T], page: int, limit: int) -> Sequence[T]:
    """Return one page of items."""
    return items[(page - 1) * limit : page * limit]


def link_header(total: int, page: int, limit: int) -> str:
    """Build Gitea's Link header: next, last, first, prev; absolute URLs; query keys sorted."""
    last = max((total + limit - 1) // limit, 1)
    wanted = []
    if page < last:
        wanted += [("next", page + 1), ("last", last)]
    if page > 1:
        wanted += [("first", 1), ("prev", min(page - 1, last))]
    return ",".join(f'<{_page_url(number)}>; rel="{rel}"' for rel, number in wanted)


def _page_url(number: int) -> str:
    """Return the current request URL with `page` replaced, rooted at ROOT_URL."""
    query = {key: request.args.getlist(key) for key in request.args}
    query["page"] = [str(number)]
    encoded = urlencode(sorted((k, v) for k, values in query.items() for v in values))
    return current_app.config["ROOT_URL"] + request.path.lstrip("/") + "?" + encoded


def paged_json(page_items: list[Any], total: int, page: int, limit: int) -> Response:
    """Return one page as a JSON list with X-Total-Count and Link."""
    return with_paging_headers(jsonify(page_items), total, page, limit)


def with_paging_headers(response: Response, total: int, page: int, limit: int) -> Response:
    """Add X-Total-Count and Link to a list response."""
    response.headers["X-Total-Count"] = str(total)
    links = link_header(total, page, limit)
    if links:
        response.headers["Link"] = links
    response.headers["Access-Control-Expose-Headers"] = "Link, X-Total-Count"
    return response
