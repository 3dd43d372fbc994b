"""One page of a Gitea list, read from X-Total-Count, Link and the commit headers."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

DEFAULT_LIMIT = 30  # Gitea's DEFAULT_PAGING_NUM


@dataclass(frozen=True)
class Page:
    """Items of one page, and what Gitea said about the rest."""

    items: list[Any]
    total: int | None
    has_more: bool
    page: int
    limit: int
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def next_page(self) -> int | None:
        """Return the number of the next page, or None on the last one."""
        return self.page + 1 if self.has_more else None


def header_int(headers: Mapping[str, str], name: str) -> int | None:
    """Return an integer header, or None when absent or malformed."""
    try:
        return int(headers[name])
    except (KeyError, ValueError):
        return None


def has_next_link(response: requests.Response) -> bool:
    """Return whether Gitea's Link header names a next page."""
    return "next" in response.links


def more_after(response: requests.Response, count: int, page: int, limit: int) -> bool:
    """Decide whether pages follow, trusting Gitea's headers before guessing from the count."""
    if response.headers.get("Link"):
        return has_next_link(response)
    has_more = response.headers.get("X-HasMore")
    if has_more is not None:
        return has_more.lower() == "true"
    total = total_count(response.headers)
    if total is not None:
        return page * limit < total
    return count >= limit > 0


def total_count(headers: Mapping[str, str]) -> int | None:
    """Return the total item count Gitea reported, if any."""
    total = header_int(headers, "X-Total-Count")
    return total if total is not None else header_int(headers, "X-Total")


def page_from_response(response: requests.Response, items: list[Any], page: int, limit: int) -> Page:
    """Build a Page from a list response and the page/limit that were asked for."""
    return Page(
        items=items,
        total=total_count(response.headers),
        has_more=more_after(response, len(items), page, limit),
        page=page,
        limit=limit,
    )


def all_items(fetch: Callable[[int], Page], max_pages: int = 20) -> Iterator[Any]:
    """Yield items page after page until the last page or `max_pages`."""
    page_number: int | None = 1
    for _ in range(max_pages):
        if page_number is None:
            return
        page = fetch(page_number)
        yield from page.items
        page_number = page.next_page
