"""Find the repository of a request and enforce who may read or write it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import current_app, request

from tests.emulator.auth import current_login, public_only, require_login
from tests.emulator.errors import GiteaError, found_or_404, not_found
from tests.emulator.model import Repository, Store

if TYPE_CHECKING:
    from tests.emulator.app import Emulator

WRITE_DENIED = "user should have a permission to write to a repo"


def world() -> Emulator:
    """Return the emulator bound to the running app."""
    emulator: Emulator = current_app.extensions["gitea_emulator"]
    return emulator


def store() -> Store:
    """Return the store of the running emulator."""
    return world().store


def readable_repo(owner: str, name: str) -> Repository:
    """Return a repository the caller may see; private ones are 404 to others (repoAssignment)."""
    repo = store().repo(owner, name)
    if repo is None or not store().can(repo, current_login(), "read"):
        raise not_found()
    if repo.private and public_only():
        raise GiteaError(403, "token scope is limited to public repos")
    return repo


def writable_repo(owner: str, name: str) -> Repository:
    """Return a repository the signed-in caller may write to (reqToken + reqRepoWriter)."""
    repo = readable_repo(owner, name)
    login = require_login()
    if not store().can(repo, login, "write"):
        raise GiteaError(403, WRITE_DENIED)
    return repo


def json_body() -> dict[str, Any]:
    """Return the JSON request body as a dict (Gitea's binding answers 422 on junk)."""
    body = request.get_json(silent=True)
    if body is None and request.get_data():
        raise GiteaError(422, "[]: invalid JSON body")
    if body is not None and not isinstance(body, dict):
        raise GiteaError(422, "[]: the body must be a JSON object")
    return body or {}


def required(body: dict[str, Any], field: str, go_name: str) -> Any:
    """Return a required field or fail like Gitea's binding: `[Field]: Required`."""
    value = body.get(field)
    if value in (None, ""):
        raise GiteaError(422, f"[{go_name}]: Required")
    return value


def query_bool(name: str, default: bool) -> bool:
    """Read a boolean query parameter the way Go's strconv.ParseBool does."""
    value = request.args.get(name)
    if value is None or value == "":
        return default
    return value.lower() in ("1", "t", "true")


def resolve_commit(repo: Repository, ref: str) -> str:
    """Resolve a branch, tag or sha to a commit id or answer 404."""
    return found_or_404(repo.git.resolve(ref), f"sha not found: {ref}")
