"""Label and milestone names to Gitea ids, through a short per-caller cache.

Write tools take names, Gitea's write endpoints take ids. The cache only ever answers a hit:
an unknown name is looked up again before it is refused, so a label made a second ago in the
web UI resolves, and a refused call always reflects Gitea's current state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from app.gitea.bound import BoundGiteaClient
from app.gitea.errors import GiteaNotFound
from app.tools import payload as p
from app.tools.call import ToolCall, ToolFailure
from app.tools.expiring import ExpiringCache

CACHE_SECONDS = 30.0
MAX_ENTRIES = 2000
PAGE_SIZE = 50
MAX_PAGES = 20  # 1000 labels or milestones: more than any repository we expect
CACHE_NAME = "write_names"


@dataclass(frozen=True)
class Named:
    """A label or milestone as a write needs it: id, name and where it comes from."""

    id: int
    name: str
    origin: str  # "repository" or "organization" for labels, "open"/"closed" for milestones


def name_cache(call: ToolCall) -> ExpiringCache:
    """(caller, repository, kind) -> list of Named for CACHE_SECONDS, shared by the calls of this process."""
    return call.runtime.shared(CACHE_NAME, lambda: ExpiringCache(CACHE_SECONDS, MAX_ENTRIES))


def cache_key(call: ToolCall, owner: str, repo: str, kind: str) -> tuple[str, str, str]:
    """Per credential: names seen with one caller's access are never shown to another."""
    return call.credential_digest, f"{owner}/{repo}".lower(), kind


def every_page(fetch: Callable[[int], Any]) -> list[Mapping[str, Any]]:
    """All items of a paged list, up to MAX_PAGES pages."""
    items: list[Mapping[str, Any]] = []
    for page_number in range(1, MAX_PAGES + 1):
        page = fetch(page_number)
        items += [raw for raw in page.items if isinstance(raw, Mapping)]
        if not page.has_more:
            break
    return items


def fetch_labels(gitea: BoundGiteaClient, owner: str, repo: str) -> list[Named]:
    """Repository labels first, then the owner organization's (none when the owner is a user)."""
    own = every_page(lambda n: gitea.list_labels(owner, repo, page=n, limit=PAGE_SIZE))
    try:
        org = every_page(lambda n: gitea.list_org_labels(owner, page=n, limit=PAGE_SIZE))
    except GiteaNotFound:
        org = []
    return [Named(p.number(raw, "id"), p.text(raw, "name"), "repository") for raw in own] + [
        Named(p.number(raw, "id"), p.text(raw, "name"), "organization") for raw in org
    ]


def fetch_milestones(gitea: BoundGiteaClient, owner: str, repo: str) -> list[Named]:
    found = every_page(lambda n: gitea.list_milestones(owner, repo, state="all", page=n, limit=PAGE_SIZE))
    return [Named(p.number(raw, "id"), p.text(raw, "title"), p.text(raw, "state")) for raw in found]


FETCHERS: dict[str, Callable[[Any, str, str], list[Named]]] = {"labels": fetch_labels, "milestones": fetch_milestones}


class RepositoryNames:
    """Label and milestone resolution for the repository of one call, with the caller's credentials."""

    def __init__(self, gitea: BoundGiteaClient, call: ToolCall) -> None:
        self.gitea = gitea
        self.call = call
        self.owner, self.repo = (call.repository or "/").split("/", 1)

    def known(self, kind: str, fresh: bool = False) -> list[Named]:
        """The repository's labels or milestones, from the cache unless `fresh`."""
        key = cache_key(self.call, self.owner, self.repo, kind)
        cache = name_cache(self.call)
        found = None if fresh else cache.get(key)
        if found is None:
            found = FETCHERS[kind](self.gitea, self.owner, self.repo)
            cache.put(key, found)
        return found

    def lookup(self, kind: str, names: list[str]) -> list[Named | None]:
        """Each name's entry; a miss in the cached list is looked up again in Gitea before it counts as unknown."""
        found = [match(name, self.known(kind)) for name in names]
        if None in found:
            fresh = self.known(kind, fresh=True)
            found = [match(name, fresh) for name in names]
        return found

    def labels(self, names: list[str]) -> list[Named]:
        """Every name as a label, or one ToolFailure listing all unknown names (so nothing is written)."""
        found = self.lookup("labels", names)
        unknown = [name for name, hit in zip(names, found, strict=True) if hit is None]
        if unknown:
            raise ToolFailure(self.unknown_labels_message(unknown), "invalid_arguments")
        return unique([hit for hit in found if hit is not None])

    def repository_label(self, name: str) -> Named | None:
        """A label of the repository itself (exact spelling, then case-insensitive); organization labels never match.

        Changing a label must pick the repository's one even when an organization label is spelled exactly
        like the request and the repository's differs only in case.
        """
        def own(fresh: bool) -> list[Named]:
            return [label for label in self.known("labels", fresh) if label.origin == "repository"]

        return match(name, own(False)) or match(name, own(True))

    def unknown_labels_message(self, unknown: list[str]) -> str:
        names = ", ".join(repr(name) for name in unknown)
        available = ", ".join(label.name for label in self.known("labels")) or "none"
        return (f"Unknown label(s) in {self.call.repository}: {names}. Nothing was written. "
                f"Labels available: {available}. Create missing ones with create_label.")

    def milestone(self, ref: int | str) -> int:
        """A milestone id from an id or a title (case-insensitive, open or closed); 0 stays 0 (clear)."""
        if ref == 0:
            return 0
        hit = by_id_or_title(ref, self.known("milestones")) or by_id_or_title(ref, self.known("milestones", True))
        if hit is None:
            raise ToolFailure(self.unknown_milestone_message(ref), "invalid_arguments")
        return hit.id

    def unknown_milestone_message(self, ref: int | str) -> str:
        what = f"id {ref}" if isinstance(ref, int) else repr(ref)
        available = ", ".join(f"{m.name} (id {m.id}, {m.origin})" for m in self.known("milestones")) or "none"
        return (f"Unknown milestone {what} in {self.call.repository}. Nothing was written. Milestones: "
                f"{available}. Create one with create_milestone.")


def match(name: str, candidates: list[Named]) -> Named | None:
    """Exact spelling first, then case-insensitive; repository labels before organization ones."""
    exact = next((c for c in candidates if c.name == name), None)
    return exact or next((c for c in candidates if c.name.lower() == name.lower()), None)


def unique(labels: list[Named]) -> list[Named]:
    """Each label once (two spellings of one name), in the order given."""
    return list({label.id: label for label in labels}.values())


def by_id_or_title(ref: int | str, milestones: list[Named]) -> Named | None:
    """Integers are ids; a string is a title, or an id when it is all digits and no title matches."""
    if isinstance(ref, int):
        return next((m for m in milestones if m.id == ref), None)
    titled = match(ref, milestones)
    if titled is None and ref.isdigit():
        return next((m for m in milestones if m.id == int(ref)), None)
    return titled


def forget_names(call: ToolCall) -> None:
    """A label or milestone was created or renamed: the next resolution reads Gitea again."""
    if call.repository is not None:
        repository = call.repository.lower()
        name_cache(call).forget(lambda key: key[1] == repository)  # every caller's entry for it
