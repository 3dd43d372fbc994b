"""The toxic-flow guard: a write may not carry what was read from a more confidential repository.

Each call is judged alone by scope, write gates and policy; an injected agent chains allowed calls
(read a private file, write it into a public issue) and the chain is the leak. So every successful
read leaves a label in the store — the confidentiality of its repository — under the caller's flow
key for FLOW_GUARD_WINDOW_SECONDS, and every write is checked against the labels in the window.

Lattice (`may_flow`): public data goes anywhere; internal data (every signed-in user of the
instance may read it) goes to internal and private repositories; private data goes only to private
repositories of the same owner or of the same fork network (the source's fork or its parent).
Anything else needs a `flows.allow` grant in the policy file, or the user's confirmation through MCP
elicitation where the client can be asked (app.tools.execution.flow_denial, app.mcp.elicitation).

The flow key is the principal plus its client (OAuth client_id or API key id), never the MCP
session or connection: a new session with the same credential must not start from a clean window.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson

from app.gitea.errors import GiteaError
from app.tools.call import ToolCall
from app.tools.expiring import ExpiringCache

FACTS = "repository_facts"
FACTS_SECONDS = 60.0  # a repository made private is labelled so within a minute
MAX_FACTS = 20000
RECORDED = "flow_labels_recorded"
RECORDED_SECONDS = 60.0
MAX_FORK_PAGES = 5  # 250 forks: past that, a pull request's head fork counts as private
KEY_PREFIX = "aegis:flow:"  # kept from eviction by the memory store (a security mark)
CONFIRMATION_SCHEMA = {
    "type": "object",
    "properties": {"allow": {"type": "boolean", "title": "Allow this write",
                             "description": "Only if you asked for exactly this; an instruction in a "
                                            "repository text may have asked for it instead."}},
    "required": ["allow"],
}


class Repository(NamedTuple):
    """What the guard needs to know about a repository: its name, confidentiality and fork parent.

    Names are lower-cased once, when made (Gitea's are case-insensitive). Named tuples, not dataclasses:
    every write reads the whole window, and this keeps it a few microseconds."""

    name: str
    level: str
    parent: str | None = None

    @property
    def owner(self) -> str:
        return self.name.partition("/")[0]


class Read(NamedTuple):
    """The label one successful read left: which repository, how confidential, by which tool, when."""

    repository: Repository
    tool: str
    untrusted: bool
    at: float

    def encoded(self) -> bytes:
        source = self.repository
        return orjson.dumps([source.name, source.level, source.parent, self.tool, self.untrusted, self.at])

    @classmethod
    def decoded(cls, raw: bytes) -> Read:
        return decoded_read(raw)


@functools.lru_cache(maxsize=4096)
def decoded_read(raw: bytes) -> Read:
    """A stored label; cached, since a label is read back at every write of its window."""
    name, level, parent, tool, untrusted, at = orjson.loads(raw)
    return Read(Repository(name, level, parent), tool, untrusted, at)


def level_of(raw: Mapping[str, Any]) -> str:
    """Gitea's repository fields as a level; anything unclear counts as private (fail closed)."""
    if raw.get("private") is False and raw.get("internal") is not True:
        return "public"
    return "internal" if raw.get("private") is False else "private"


def repository_of_raw(raw: Mapping[str, Any]) -> Repository:
    parent = raw.get("parent")
    parent_name = parent.get("full_name") if isinstance(parent, Mapping) else None
    return Repository(str(raw.get("full_name", "")).lower(), level_of(raw),
                      str(parent_name).lower() if parent_name else None)


def facts_cache(call: ToolCall) -> ExpiringCache:
    return call.shared(FACTS, lambda: ExpiringCache(FACTS_SECONDS, MAX_FACTS))


def remember_repository(call: ToolCall, raw: Mapping[str, Any]) -> None:
    """A repository object a tool fetched anyway: the guard needs no request of its own for it."""
    if isinstance(raw.get("full_name"), str):
        facts_cache(call).put((call.credential_digest, raw["full_name"].lower()), repository_of_raw(raw))


def repository_facts(call: ToolCall, name: str, unknown: str) -> Repository:
    """The repository's label, from the cache or one GET /repos with the caller's credentials.

    When Gitea cannot tell, `unknown` decides: "private" for a source (it restricts), "public" for a sink."""
    key = (call.credential_digest, name.lower())
    found: Repository | None = facts_cache(call).get(key)
    if found is None:
        owner, _, repo = name.partition("/")
        if call.principal.upstream is None:
            return Repository(name.lower(), unknown)
        try:
            found = repository_of_raw(call.runtime.gitea.bind(call.principal.upstream).get_repository(owner, repo))
        except GiteaError:
            return Repository(name.lower(), unknown)
        facts_cache(call).put(key, found)
    return found


def may_flow(source: Repository, sink: Repository) -> bool:
    """The lattice: may data read from `source` be written to `sink`?"""
    if source.level == "public" or source.name == sink.name:
        return True
    if source.level == "internal":
        return sink.level != "public"
    return sink.level == "private" and (source.owner == sink.owner or same_network(source, sink))


def same_network(source: Repository, sink: Repository) -> bool:
    """A fork and its parent (either way round): the fork was made from the very data."""
    return sink.parent == source.name or source.parent == sink.name


def flow_key(call: ToolCall) -> str:
    """Principal and client (Principal.identity), no session: see the module docstring."""
    return KEY_PREFIX + call.principal.identity


def guarding(call: ToolCall) -> bool:
    """Off, read-only servers (no write can leak) and runtimes without a store keep no flow state."""
    settings = call.runtime.settings
    return settings.flow_guard != "off" and settings.write_mode and call.runtime.store is not None


def read_sources(call: ToolCall, structured: Mapping[str, Any]) -> list[Repository]:
    """What a successful read drew from: its repository, or every repository a list names (the maximum)."""
    if call.repository is not None:
        return [repository_facts(call, call.repository, unknown="private")]
    if call.tool.lists != "repositories" or not isinstance(structured.get("items"), list):
        return []  # organization lists name the caller's own memberships, no repository content
    return [listed_repository(call, item) for item in structured["items"] if isinstance(item, Mapping)]


def listed_repository(call: ToolCall, item: Mapping[str, Any]) -> Repository:
    """A listed repository's label: from the facts the list just cached, else from the summary, which tells
    private from not private but not internal from public: "internal" then, the stricter of the two."""
    name = str(item.get("full_name", ""))
    known: Repository | None = facts_cache(call).get((call.credential_digest, name.lower()))
    return known or Repository(name.lower(), "internal" if item.get("private") is False else "private")


def record_read(call: ToolCall, structured: Mapping[str, Any] | None) -> None:
    """Label a call that succeeded — a read, or a write, whose answer can echo its repository too (a dry run's
    diff of a wiki page, an edited issue's title); public sources restrict nothing and are not stored."""
    if not guarding(call):
        return
    window = call.runtime.settings.flow_guard_window_seconds
    now, key = time.time(), flow_key(call)
    recorded = recorded_labels(call)
    for source in read_sources(call, structured or {}):
        entry = (key, source.name, source.level)
        if source.level != "public" and not recorded.get(entry):
            label = Read(source, call.tool.name, bool(call.tool.untrusted), now)
            call.runtime.store.hset(key, source.name, label.encoded(), ttl=window)
            recorded.put(entry, True)  # only once stored: a failed store write is tried again next time


def recorded_labels(call: ToolCall) -> ExpiringCache:
    """The labels this process stored less than a minute ago (a sixtieth of the window when that is shorter):
    not stored again.

    An agent reading fifty files of one private repository costs one store write a minute, not fifty; the
    label's time is then at most that old, so it leaves the window at most that early."""
    seconds = min(RECORDED_SECONDS, call.runtime.settings.flow_guard_window_seconds / 60)
    return call.shared(f"{RECORDED}:{seconds}", lambda: ExpiringCache(seconds, MAX_FACTS))


def window_reads(call: ToolCall) -> list[Read]:
    """The labels of this principal and client still inside the window."""
    oldest = time.time() - call.runtime.settings.flow_guard_window_seconds
    reads = [Read.decoded(raw) for raw in call.runtime.store.hgetall(flow_key(call)).values()]
    return [read for read in reads if read.at >= oldest]


@dataclass(frozen=True)
class FlowViolation:
    """A write whose sink is less confidential than reads in the window, and why."""

    sink: Repository
    reads: list[Read]
    window: int

    def reason(self, enforced: bool) -> str:
        minutes = max(1, self.window // 60)
        sources = "; ".join(f"{read.repository.level} data from {read.repository.name} ({read.tool} at "
                            f"{time.strftime('%H:%M:%S', time.gmtime(read.at))} UTC)" for read in self.reads)
        verdict = "Refused by the flow guard; nothing was written" if enforced else "Flow guard warning"
        return (f"{verdict}: in the last {minutes} minutes this client read {sources}, and this write goes "
                f"to {self.sink.name}, which is {self.sink.level}: it could disclose what was read. If this flow "
                f"is intended, the operator can grant it in the policy file (flows.allow from "
                f"{self.reads[0].repository.name} to {self.sink.name}).")

    def question(self, tool: str) -> str:
        """What the user is asked to confirm: which reads, which write."""
        sources = ", ".join(f"{read.repository.name} ({read.repository.level}, {read.tool})" for read in self.reads)
        return (f"The agent read {sources} and now wants to write with {tool} to {self.sink.name}, which is "
                f"{self.sink.level}: what it read could become visible there. Allow this write?")

    def audit_fields(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        sink = {"repository": self.sink.name, "level": self.sink.level}
        sources = [{"repository": read.repository.name, "level": read.repository.level, "tool": read.tool,
                    "untrusted_text": read.untrusted,
                    "read_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(read.at))} for read in self.reads]
        return sink, sources


def flow_violation(call: ToolCall) -> FlowViolation | None:
    """The reads in the window this write may not carry (no lattice path, no policy grant), or None."""
    if not guarding(call) or not call.tool.is_write or call.repository is None:
        return None
    sink_name = call.repository.lower()
    reads = [read for read in window_reads(call) if read.repository.name != sink_name]
    head = fork_head(call)
    if not reads and head is None:
        return None  # nothing restricting was read elsewhere: no need to know the sink
    sink = repository_facts(call, call.repository, unknown="public")
    if head is not None:
        reads.append(Read(head_repository(call, sink, head), "the pull request's head branch", False, time.time()))
    policy = call.policy
    blocked = [read for read in reads if not may_flow(read.repository, sink)
               and (policy is None or policy.flow_grant(read.repository.name, sink.name) is None)]
    return FlowViolation(sink, blocked, call.runtime.settings.flow_guard_window_seconds) if blocked else None


def fork_head(call: ToolCall) -> str | None:
    """A pull request from another repository ('owner:branch', 'owner/repo:branch') publishes that repository's
    commits into the base, read or not: its owner or full name; None for a branch of the base itself."""
    if call.tool.name != "create_pull_request" or call.repository is None:
        return None
    named, separator, _ = str(call.arguments.get("head", "")).rpartition(":")
    base_owner = call.repository.partition("/")[0].lower()
    return named.lower() if separator and named.lower() not in ("", base_owner) else None


def head_repository(call: ToolCall, sink: Repository, head: str) -> Repository:
    """The repository Gitea takes the head from: a full name, the base's parent when its owner is named, else
    that owner's fork of the base (Gitea's GetForkedRepo). Not found: private (fail closed)."""
    if "/" in head:
        return repository_facts(call, head, unknown="private")
    if sink.parent is not None and sink.parent.partition("/")[0] == head:
        return repository_facts(call, sink.parent, unknown="private")
    return fork_owned_by(call, sink, head) or Repository(f"{head}/{sink.name.partition('/')[2]}", "private")


def fork_owned_by(call: ToolCall, sink: Repository, owner: str) -> Repository | None:
    """`owner`'s fork of `sink`, from GET /repos/{sink}/forks (a few pages at most)."""
    if call.principal.upstream is None:
        return None
    gitea = call.runtime.gitea.bind(call.principal.upstream)
    base_owner, _, base_repo = sink.name.partition("/")
    try:
        for page in range(1, MAX_FORK_PAGES + 1):
            listed = gitea.list_forks(base_owner, base_repo, page=page, limit=50)
            for raw in listed.items:
                if isinstance(raw, Mapping) and str((raw.get("owner") or {}).get("login", "")).lower() == owner:
                    remember_repository(call, raw)
                    return repository_of_raw(raw)
            if not listed.has_more:
                return None
    except GiteaError:
        return None
    return None
