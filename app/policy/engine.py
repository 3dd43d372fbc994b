"""The policy engine: load a YAML policy file once, then decide in a few dict lookups.

Semantics (documented in docs/policy.md by the lead from this docstring):
- Deny wins: a tool in the global deny list or in a deny list of any repository rule
  that applies, or a path matching a deny glob of any applying rule, is denied.
- Rules that apply to ``owner/repo``: the exact key (matched case-insensitively, as
  Gitea names are) and the ``owner/*`` key. Both apply; each one restricts.
- A non-empty repository ``tools.allow`` is exclusive for that repository: other tools
  are denied there. Being listed in any allow list (global or repository) grants the
  tool over the default.
- Tools no list mentions follow ``defaults.read`` / ``defaults.write`` (built in: read
  allow, write deny). ``automation_*`` pseudo-tools ignore the defaults and the global
  allow list: a repository rule must allow them (by name or ``automation_*``).
- Paths are normalised first (app/policy/paths.py) and refused if unsafe. Deny globs
  match case-insensitively (a case variant never slips past a deny), allow globs
  case-sensitively. ``*`` crosses ``/``; a directory is covered by a glob that covers its
  children, and an ancestor directory of an allow glob is allowed so trees stay navigable.
- Wiki pages are a namespace of their own: a path glob written ``wiki:<glob>`` matches wiki page
  titles (deny case-insensitively, allow case-sensitively, ``*`` matches any characters), and only
  them; a plain glob matches only repository files. A non-empty ``wiki:`` allow list is exclusive
  for the repository's wiki pages, as a plain allow list is for its files.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml
from marshmallow import ValidationError

from app.policy.paths import UnsafePathError, normalise_repo_path
from schemas.policy import PolicyFileSchema

REPOSITORY_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$")
AUTOMATION_PREFIX = "automation_"
AUTOMATION_WILDCARD = "automation_*"
WIKI_PREFIX = "wiki:"  # a path glob on wiki page titles
FILES, WIKI = "files", "wiki"  # the namespaces a path may be in


class PolicyError(Exception):
    """An invalid policy file; ``errors`` lists every problem found."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class PolicyDecision:
    """The outcome of one policy check, with the rule that decided it."""

    allowed: bool
    reason: str
    rule: str


@dataclass(frozen=True)
class GlobSet:
    """Path globs compiled into one regular expression."""

    globs: tuple[str, ...]
    ignore_case: bool
    pattern: re.Pattern[str] | None = field(init=False, compare=False)

    def __post_init__(self) -> None:
        flags = re.IGNORECASE if self.ignore_case else 0
        joined = "|".join(fnmatch.translate(glob) for glob in self.globs)
        object.__setattr__(self, "pattern", re.compile(joined, flags) if self.globs else None)

    def covers(self, path: str) -> bool:
        """Tell whether the path, or the directory it names, matches a glob."""
        if self.pattern is None:
            return False
        return bool(self.pattern.match(path) or self.pattern.match(path + "/"))

    def has_descendant_of(self, directory: str) -> bool:
        """Tell whether a glob lies below the directory (so the directory is on the way)."""
        prefix = directory + "/" if directory else ""
        return any(_literal_prefix(glob).startswith(prefix) for glob in self.globs)


def _literal_prefix(glob: str) -> str:
    """Return the part of a glob before its first wildcard."""
    cut = min((i for i, ch in enumerate(glob) if ch in "*?["), default=len(glob))
    return glob[:cut]


@dataclass(frozen=True)
class RepositoryRule:
    """The compiled rule of one repository key."""

    key: str
    tool_allow: frozenset[str]
    tool_deny: frozenset[str]
    path_allow: GlobSet
    path_deny: GlobSet
    wiki_allow: GlobSet
    wiki_deny: GlobSet

    @classmethod
    def compile(cls, key: str, raw: dict[str, Any]) -> RepositoryRule:
        """Build a rule from its validated file section."""
        tools, paths = raw.get("tools", {}), raw.get("paths", {})
        allow, deny = paths.get("allow", []), paths.get("deny", [])
        return cls(
            key=key,
            tool_allow=frozenset(tools.get("allow", [])),
            tool_deny=frozenset(tools.get("deny", [])),
            path_allow=GlobSet(in_namespace(allow, FILES), ignore_case=False),
            path_deny=GlobSet(in_namespace(deny, FILES), ignore_case=True),
            wiki_allow=GlobSet(in_namespace(allow, WIKI), ignore_case=False),
            wiki_deny=GlobSet(in_namespace(deny, WIKI), ignore_case=True),
        )

    @property
    def label(self) -> str:
        """Name the rule as it appears in the policy file."""
        return f"repositories.{self.key}"


@dataclass(frozen=True)
class FlowGrant:
    """One `flows.allow` entry: reads of `source` may flow into writes to `sink` (owner/repo or owner/*)."""

    source: str
    sink: str
    index: int

    def covers(self, source: str, sink: str) -> bool:
        return key_matches(self.source, source) and key_matches(self.sink, sink)

    @property
    def label(self) -> str:
        return f"flows.allow[{self.index}] (from {self.source} to {self.sink})"


def key_matches(key: str, repository: str) -> bool:
    """Whether a policy key (owner/repo or owner/*) names the repository, case-insensitively."""
    owner, _, name = key.lower().partition("/")
    wanted_owner, _, wanted_name = repository_key(repository).partition("/")
    return owner == wanted_owner and name in ("*", wanted_name)


def in_namespace(globs: list[str], namespace: str) -> tuple[str, ...]:
    """The globs of one namespace: `wiki:` globs (prefix removed) or the plain file globs."""
    if namespace == WIKI:
        return tuple(glob.removeprefix(WIKI_PREFIX) for glob in globs if glob.startswith(WIKI_PREFIX))
    return tuple(glob for glob in globs if not glob.startswith(WIKI_PREFIX))


def repository_key(repository: str) -> str:
    """Match key of a repository: lower-cased (Gitea names are case-insensitive), without '.git'.

    Gitea reserves names ending in '.git', and its routes may strip that suffix, so
    'acme/app.git' must meet the rules of 'acme/app'.
    """
    return repository.lower().removesuffix(".git")


def lists_tool(names: frozenset[str], tool: str) -> bool:
    """Tell whether a tool list names the tool, directly or through automation_*."""
    if tool in names:
        return True
    return tool.startswith(AUTOMATION_PREFIX) and AUTOMATION_WILDCARD in names


class UniqueKeyLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses duplicate keys (PyYAML keeps the last one silently)."""


def _construct_unique_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    keys = [loader.construct_object(k) for k, _ in node.value]
    duplicates = sorted({str(k) for k in keys if keys.count(k) > 1})
    if duplicates:
        raise yaml.constructor.ConstructorError(None, None, f"duplicate keys {duplicates}", node.start_mark)
    return loader.construct_mapping(node)


UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping)


def flatten_errors(messages: Any, prefix: str = "") -> list[str]:
    """Turn marshmallow's nested error dict into 'dotted.path: message' lines."""
    if isinstance(messages, dict):
        lines: list[str] = []
        for key, value in messages.items():
            step = prefix if key in ("key", "value") and prefix else f"{prefix}.{key}" if prefix else str(key)
            lines.extend(flatten_errors(value, step))
        return lines
    return [f"{prefix}: {message}" for message in messages]


class Policy:
    """A compiled, immutable policy."""

    def __init__(self, document: dict[str, Any], source: str = "<built-in>") -> None:
        defaults, tools = document.get("defaults", {}), document.get("tools", {})
        self.source = source
        self.read_default = defaults.get("read", "allow") == "allow"
        self.write_default = defaults.get("write", "deny") == "allow"
        self.defaults_rule = "defaults" if source != "<built-in>" else "built-in defaults"
        self.tool_allow = frozenset(tools.get("allow", []))
        self.tool_deny = frozenset(tools.get("deny", []))
        self.exact: dict[str, RepositoryRule] = {}
        self.by_owner: dict[str, RepositoryRule] = {}
        for key, raw in document.get("repositories", {}).items():
            owner, name = key.lower().split("/", 1)
            if name == "*":
                self.by_owner[owner] = RepositoryRule.compile(key, raw)
            else:
                self.exact[repository_key(key)] = RepositoryRule.compile(key, raw)
        self._everywhere: dict[tuple[str, bool], bool] = {}
        self.flow_grants = tuple(FlowGrant(grant["source"], grant["sink"], index)
                                 for index, grant in enumerate(document.get("flows", {}).get("allow", [])))

    @classmethod
    def default(cls) -> Policy:
        """Return the built-in policy used without a policy file."""
        return cls({})

    @classmethod
    def load(cls, path: str, known_tools: Iterable[str] | None = None) -> Policy:
        """Read and validate a policy file, raising PolicyError with every problem."""
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise PolicyError([f"cannot read policy file {path}: {exc}"]) from exc
        return cls.parse(text, source=path, known_tools=known_tools)

    @classmethod
    def parse(cls, text: str, source: str = "<string>", known_tools: Iterable[str] | None = None) -> Policy:
        """Validate policy YAML text and compile it."""
        try:
            raw = yaml.load(text, Loader=UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
        except yaml.YAMLError as exc:
            raise PolicyError([f"invalid YAML: {exc}"]) from exc
        if not isinstance(raw, dict):
            raise PolicyError(["policy file must be a YAML mapping (an empty file is refused)"])
        try:
            document = PolicyFileSchema().load(raw)
        except ValidationError as exc:
            raise PolicyError(flatten_errors(exc.messages)) from exc
        errors = _semantic_errors(document, known_tools)
        if errors:
            raise PolicyError(errors)
        return cls(document, source=source)

    def rules_for(self, repository: str | None) -> list[RepositoryRule]:
        """Return the rules that apply to a repository: exact key, then owner/*."""
        if not repository:
            return []
        key = repository_key(repository)
        return [rule for rule in (self.exact.get(key), self.by_owner.get(key.split("/", 1)[0])) if rule]

    def decide(self, tool: str, is_write: bool, repository: str | None, path: str | None = None,
               namespace: str = FILES) -> PolicyDecision:
        """Decide whether a tool may run on a repository (and path: a file, or a wiki page title)."""
        if repository is not None and not REPOSITORY_NAME.match(repository):
            return _deny(f"repository name {repository[:200]!r} is not owner/name", "repository.name")
        rules = self.rules_for(repository)
        decision = self._decide_tool(tool, is_write, rules)
        if not decision.allowed or path is None:
            return decision
        return self._decide_in(namespace, path, rules) or decision

    def _decide_in(self, namespace: str, path: str, rules: list[RepositoryRule]) -> PolicyDecision | None:
        """A denial for the path in its namespace, or None."""
        return self._wiki_denial(path, rules) if namespace == WIKI else self._decide_path(path, rules)

    def _decide_tool(self, tool: str, is_write: bool, rules: list[RepositoryRule]) -> PolicyDecision:
        """Apply deny lists, exclusive repository allow lists, grants and defaults."""
        if lists_tool(self.tool_deny, tool):
            return _deny(f"tool '{tool}' is denied by tools.deny", "tools.deny")
        for rule in rules:
            if lists_tool(rule.tool_deny, tool):
                return _deny(f"tool '{tool}' is denied by {rule.label}.tools.deny", f"{rule.label}.tools.deny")
            if rule.tool_allow and not lists_tool(rule.tool_allow, tool):
                return _deny(f"tool '{tool}' is not in {rule.label}.tools.allow", f"{rule.label}.tools.allow")
        granted = next((rule for rule in rules if lists_tool(rule.tool_allow, tool)), None)
        if granted:
            return _allow(f"tool '{tool}' is allowed by {granted.label}.tools.allow", f"{granted.label}.tools.allow")
        return self._decide_default(tool, is_write)

    def _decide_default(self, tool: str, is_write: bool) -> PolicyDecision:
        """Decide a tool no repository list mentions."""
        if tool.startswith(AUTOMATION_PREFIX):
            return _deny(f"automation tool '{tool}' needs a repository rule allowing it", "automation")
        if tool in self.tool_allow:
            return _allow(f"tool '{tool}' is allowed by tools.allow", "tools.allow")
        kind = "write" if is_write else "read"
        allowed = self.write_default if is_write else self.read_default
        verdict = "allows" if allowed else "denies"
        rule = f"{self.defaults_rule}.{kind}"
        return PolicyDecision(allowed, f"{rule} {verdict} {kind} tool '{tool}'", rule)

    def _decide_path(self, raw_path: str, rules: list[RepositoryRule]) -> PolicyDecision | None:
        """Return a denial for an unsafe or excluded path, or None when it may be read."""
        try:
            path = normalise_repo_path(raw_path)
        except UnsafePathError as exc:
            return _deny(f"unsafe path refused: {exc.reason}", "path.normalisation")
        return self._path_denial(path, rules)

    def _path_denial(self, path: str, rules: list[RepositoryRule]) -> PolicyDecision | None:
        """Check a normalised path against the path lists of the applying rules."""
        for rule in rules:
            if rule.path_deny.covers(path):
                return _deny(f"path '{path}' is denied by {rule.label}.paths.deny", f"{rule.label}.paths.deny")
        for rule in rules:
            allow = rule.path_allow
            if allow.globs and not (allow.covers(path) or allow.has_descendant_of(path)):
                return _deny(f"path '{path}' is not in {rule.label}.paths.allow", f"{rule.label}.paths.allow")
        return None

    def _wiki_denial(self, title: str, rules: list[RepositoryRule]) -> PolicyDecision | None:
        """Check a wiki page title against the `wiki:` globs of the applying rules."""
        for rule in rules:
            if rule.wiki_deny.covers(title):
                return _deny(f"wiki page '{title}' is denied by {rule.label}.paths.deny", f"{rule.label}.paths.deny")
        for rule in rules:
            if rule.wiki_allow.globs and not rule.wiki_allow.covers(title):
                return _deny(f"wiki page '{title}' is not in {rule.label}.paths.allow", f"{rule.label}.paths.allow")
        return None

    def filter_paths(self, repository: str | None, paths: Iterable[str],
                     namespace: str = FILES) -> tuple[list[str], list[str]]:
        """Split paths (or wiki page titles) into those that may be shown and those withheld by policy."""
        rules = self.rules_for(repository)
        allowed: list[str] = []
        withheld: list[str] = []
        for path in paths:
            (withheld if self._decide_in(namespace, path, rules) else allowed).append(path)
        return allowed, withheld

    def flow_grant(self, source: str, sink: str) -> FlowGrant | None:
        """The first `flows.allow` entry letting what was read in `source` be written to `sink`, or None."""
        return next((grant for grant in self.flow_grants if grant.covers(source, sink)), None)

    def tool_denied_everywhere(self, tool: str, is_write: bool) -> bool:
        """Tell whether no repository (and no repository-less call) may use the tool."""
        key = (tool, is_write)
        if key not in self._everywhere:
            self._everywhere[key] = not self._allowed_somewhere(tool, is_write)
        return self._everywhere[key]

    def _allowed_somewhere(self, tool: str, is_write: bool) -> bool:
        """Search the defaults and every rule for one place the tool is allowed."""
        if self._decide_tool(tool, is_write, []).allowed:
            return True
        candidates = [self.rules_for(rule.key) for rule in self.exact.values()]
        candidates += [[rule] for rule in self.by_owner.values()]
        return any(self._decide_tool(tool, is_write, rules).allowed for rules in candidates)


def _allow(reason: str, rule: str) -> PolicyDecision:
    return PolicyDecision(True, reason, rule)


def _deny(reason: str, rule: str) -> PolicyDecision:
    return PolicyDecision(False, reason, rule)


def _semantic_errors(document: dict[str, Any], known_tools: Iterable[str] | None) -> list[str]:
    """Find problems the schema cannot see: case-duplicate keys, unknown tool names."""
    errors: list[str] = []
    seen: dict[str, str] = {}
    for key in document.get("repositories", {}):
        match_key = repository_key(key)
        if match_key in seen:
            errors.append(f"repositories.{key}: same repository as {seen[match_key]} (keys are case-insensitive)")
        seen.setdefault(match_key, key)
    if known_tools is not None:
        errors.extend(_unknown_tool_errors(document, frozenset(known_tools)))
    return errors


def _unknown_tool_errors(document: dict[str, Any], known: frozenset[str]) -> list[str]:
    """List tool names the catalog does not know (a typo in a deny list denies nothing)."""
    sections = [("tools", document.get("tools", {}))]
    sections += [(f"repositories.{k}.tools", v.get("tools", {})) for k, v in document.get("repositories", {}).items()]
    errors = []
    for label, lists in sections:
        for kind in ("allow", "deny"):
            for name in lists.get(kind, []):
                if name not in known and not name.startswith(AUTOMATION_PREFIX):
                    errors.append(f"{label}.{kind}: unknown tool {name!r}")
    return errors
