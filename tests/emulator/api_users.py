"""Users, organizations and repository metadata: /version, /user, /users, /orgs, /repos/search, /repos/{o}/{r}."""

from __future__ import annotations

import os

from flask import Blueprint, Response, jsonify, request

from tests.emulator.auth import current_login, public_only, require_login
from tests.emulator.errors import GiteaError, not_found
from tests.emulator.model import Organization, Repository
from tests.emulator.paging import page_and_limit, page_slice, paged_json, with_paging_headers
from tests.emulator.repo_access import readable_repo, store, world

bp = Blueprint("gitea_users", __name__)
GITEA_VERSION = "1.27.0"
# go-enry style: programming and markup languages count, data and prose do not.
LANGUAGES = {".py": "Python", ".js": "JavaScript", ".ts": "TypeScript", ".go": "Go", ".sh": "Shell",
             ".html": "HTML", ".css": "CSS", ".rb": "Ruby", ".java": "Java", ".rs": "Rust", ".c": "C"}


def _repo_list(repos: list[Repository]) -> Response:
    """Answer one page of repositories as the caller sees them."""
    page, limit = page_and_limit()
    if public_only():
        repos = [r for r in repos if not r.private]
    render = world().render
    items = [render.repo(r, current_login()) for r in page_slice(repos, page, limit)]
    return paged_json(items, len(repos), page, limit)


def _member_orgs(login: str) -> list[Organization]:
    """Return the organizations a user belongs to."""
    return sorted((o for o in store().orgs.values() if login in o.members or login in o.owners),
                  key=lambda o: o.name)


@bp.get("/version")
def version() -> Response:
    """Return the server version."""
    return jsonify({"version": GITEA_VERSION})


@bp.get("/user")
def me() -> Response:
    """Return the signed-in user."""
    return jsonify(world().render.user(require_login()))


@bp.get("/user/repos")
def my_repos() -> Response:
    """List repositories the signed-in user owns, collaborates on or reaches through an organization."""
    login = require_login()
    return _repo_list([r for r in store().visible_repos(login) if _is_mine(r, login)])


def _is_mine(repo: Repository, login: str) -> bool:
    """Tell whether a repository belongs in the user's own list (not merely public)."""
    org = store().org(repo.owner)
    in_org = bool(org and (login in org.members or login in org.owners))
    return repo.owner.lower() == login.lower() or login in repo.collaborators or in_org


@bp.get("/users/<username>/repos")
def user_repos(username: str) -> Response:
    """List a user's own repositories that the caller may see."""
    if store().user(username) is None:
        raise not_found()
    return _repo_list([r for r in store().visible_repos(current_login()) if r.owner.lower() == username.lower()])


@bp.get("/orgs/<org>/repos")
def org_repos(org: str) -> Response:
    """List an organization's repositories that the caller may see."""
    if store().org(org) is None:
        raise not_found()
    return _repo_list([r for r in store().visible_repos(current_login()) if r.owner.lower() == org.lower()])


@bp.get("/user/orgs")
def my_orgs() -> Response:
    """List the signed-in user's organizations."""
    return _org_list(require_login())


@bp.get("/users/<username>/orgs")
def user_orgs(username: str) -> Response:
    """List a user's organizations."""
    require_login()
    user = store().user(username)
    if user is None:
        raise not_found()
    return _org_list(user.login)


def _org_list(login: str) -> Response:
    """Answer one page of a user's organizations."""
    page, limit = page_and_limit()
    orgs = _member_orgs(login)
    items = [world().render.org(o) for o in page_slice(orgs, page, limit)]
    return paged_json(items, len(orgs), page, limit)


@bp.get("/orgs/<org>")
def get_org(org: str) -> Response:
    """Return an organization."""
    found = store().org(org)
    if found is None:
        raise not_found()
    return jsonify(world().render.org(found))


@bp.get("/orgs/<org>/labels")
def org_labels(org: str) -> Response:
    """List an organization's labels."""
    found = store().org(org)
    if found is None:
        raise not_found()
    page, limit = page_and_limit()
    items = [world().render.label(label) for label in page_slice(found.labels, page, limit)]
    return paged_json(items, len(found.labels), page, limit)


@bp.get("/repos/search")
def search_repos() -> Response:
    """Search repositories by name, description or topic: {"ok": true, "data": [...]}."""
    page, limit = page_and_limit()
    repos = [r for r in store().visible_repos(current_login()) if _search_hit(r)]
    if public_only():
        repos = [r for r in repos if not r.private]
    data = [world().render.repo(r, current_login()) for r in page_slice(repos, page, limit)]
    return with_paging_headers(jsonify({"ok": True, "data": data}), len(repos), page, limit)


def _search_hit(repo: Repository) -> bool:
    """Tell whether a repository matches the search filters of the request."""
    words = request.args.get("q", "").lower()
    owner_id = request.args.get("uid", type=int)
    owner = store().user(repo.owner) or store().org(repo.owner)
    if owner_id and (owner is None or owner.id != owner_id):
        return False
    private = request.args.get("private") or request.args.get("is_private")
    if private in ("true", "false") and repo.private != (private == "true"):
        return False
    text = [repo.name.lower()] + [t.lower() for t in repo.topics]
    if request.args.get("includeDesc", "").lower() in ("1", "true"):
        text.append(repo.description.lower())
    return not words or any(words in piece for piece in text)


@bp.get("/repos/<owner>/<repo>")
def get_repo(owner: str, repo: str) -> Response:
    """Return a repository."""
    return jsonify(world().render.repo(readable_repo(owner, repo), current_login()))


@bp.get("/repos/<owner>/<repo>/forks")
def forks(owner: str, repo: str) -> Response:
    """List the forks of a repository that the caller may see (Gitea: repoListForks)."""
    parent = readable_repo(owner, repo).full_name.lower()
    return _repo_list([r for r in store().visible_repos(current_login()) if (r.parent or "").lower() == parent])


@bp.get("/repos/<owner>/<repo>/languages")
def languages(owner: str, repo: str) -> Response:
    """Return bytes per language on the default branch."""
    found = readable_repo(owner, repo)
    totals: dict[str, int] = {}
    if not found.git.is_empty():
        for entry in found.git.ls_tree(found.default_branch, recursive=True):
            language = LANGUAGES.get(os.path.splitext(entry.path)[1])
            if entry.type == "blob" and language:
                totals[language] = totals.get(language, 0) + entry.size
    return jsonify(dict(sorted(totals.items(), key=lambda item: -item[1])))


@bp.get("/repos/<owner>/<repo>/topics")
def topics(owner: str, repo: str) -> Response:
    """Return the topics of a repository."""
    return jsonify({"topics": list(readable_repo(owner, repo).topics)})


@bp.get("/repos/<owner>/<repo>/collaborators/<collaborator>/permission")
def collaborator_permission(owner: str, repo: str, collaborator: str) -> Response:
    """Return a user's permission; only repo admins may ask about others."""
    found = readable_repo(owner, repo)
    login = require_login()
    user = store().user(collaborator)
    if user is None:
        raise not_found()
    if user.login != login and not store().can(found, login, "admin"):
        raise GiteaError(403, "Only admins can query all permissions, repo admins can query all repo permissions, "
                              "collaborators can query only their own")
    permission = store().access(found, user.login)
    return jsonify({"permission": permission, "role_name": permission, "user": world().render.user(user.login)})
