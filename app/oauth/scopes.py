"""MCP scopes this server grants, and the Gitea scopes each one needs upstream."""

from __future__ import annotations

from app.auth.principal import READ_SCOPE, WRITE_SCOPE

MCP_SCOPES = (READ_SCOPE, WRITE_SCOPE)
SCOPE_DESCRIPTIONS = {
    READ_SCOPE: "Read repositories, files, commits, issues, pull requests, labels, releases and organisations",
    WRITE_SCOPE: "Create and change issues, pull requests, labels, releases, branches and files",
}
# Tools read /repos/** (repository), /issues, /labels, /milestones (issue), /orgs (organization)
# and /user (user): gitea/FACTS.md §1.9. Write tools change repositories and issues.
GITEA_SCOPES = {
    READ_SCOPE: ("read:repository", "read:issue", "read:organization", "read:user"),
    WRITE_SCOPE: ("write:repository", "write:issue"),
}
# Service-PAT mode: the user's Gitea token only proves who they are.
IDENTITY_SCOPES = ("read:user",)
# Tolerated in requests (SEP-2207) but never granted or advertised.
IGNORED_SCOPES = frozenset({"offline_access"})


class UnknownScope(ValueError):
    """A requested scope this server does not offer."""


def parse_scope(raw: str | None) -> frozenset[str]:
    """The MCP scopes of a request's `scope` (read:repository when absent); write implies read."""
    names = set((raw or "").split()) - IGNORED_SCOPES
    unknown = sorted(names - set(MCP_SCOPES))
    if unknown:
        raise UnknownScope(f"unknown scope(s): {' '.join(unknown)}; this server offers {' '.join(MCP_SCOPES)}")
    if not names or WRITE_SCOPE in names:
        names.add(READ_SCOPE)
    return frozenset(names)


def scope_string(scopes: frozenset[str]) -> str:
    """Scopes in a stable order, space separated."""
    return " ".join(name for name in MCP_SCOPES if name in scopes)


def gitea_scope(scopes: frozenset[str], identity_only: bool) -> str:
    """The Gitea scope string to request for these MCP scopes."""
    if identity_only:
        return " ".join(IDENTITY_SCOPES)
    return " ".join(name for mcp in MCP_SCOPES if mcp in scopes for name in GITEA_SCOPES[mcp])
