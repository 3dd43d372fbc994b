"""Typed errors for every way Gitea can fail, and retries only where repeating is safe."""

from __future__ import annotations

import pytest

from app.gitea import (
    BoundGiteaClient,
    GiteaAuthError,
    GiteaClient,
    GiteaCredentials,
    GiteaPermissionError,
    GiteaRateLimited,
    GiteaScopeError,
    GiteaTimeout,
    GiteaUnavailable,
)
from tests.gitea.conftest import EmulatorControl

ACME = ("acme", "service-a")
REPO_PATH = "/api/v1/repos/acme/service-a"
ISSUES_PATH = "/api/v1/repos/acme/service-a/issues"


def test_unknown_token_is_an_auth_error_that_never_shows_the_token(gitea: GiteaClient) -> None:
    secret = "0123456789abcdef0123456789abcdef0badf00d"
    with pytest.raises(GiteaAuthError) as err:
        gitea.bind(GiteaCredentials("token", secret)).get_repository(*ACME)
    assert err.value.status == 401
    assert secret not in str(err.value) and secret not in repr(err.value.__dict__)


def test_bearer_scheme_is_accepted(gitea: GiteaClient, tokens: dict[str, dict[str, str]]) -> None:
    client = gitea.bind(GiteaCredentials("bearer", tokens["alice"]["full"]))
    assert client.current_user()["login"] == "alice"


def test_missing_scope_is_a_scope_error_naming_the_scope(gitea: GiteaClient,
                                                         tokens: dict[str, dict[str, str]]) -> None:
    repo_only = gitea.bind(GiteaCredentials("token", tokens["alice"]["read-repo-only"]))
    assert repo_only.get_repository(*ACME)["name"] == "service-a"
    with pytest.raises(GiteaScopeError) as err:
        repo_only.list_issues(*ACME)
    assert err.value.status == 403
    assert err.value.required_scope == "read:issue"
    assert err.value.details == {"required_scope": "read:issue"}


def test_permission_denial_is_not_a_scope_error(bob: BoundGiteaClient) -> None:
    with pytest.raises(GiteaPermissionError) as err:
        bob.get_collaborator_permission(*ACME, "alice")  # only admins may ask about others
    assert err.value.status == 403
    assert not isinstance(err.value, GiteaScopeError)


def test_server_error_is_unavailable_and_not_retried(alice: BoundGiteaClient, control: EmulatorControl) -> None:
    control.fault("GET", REPO_PATH, "500")
    with pytest.raises(GiteaUnavailable) as err:
        alice.get_repository(*ACME)
    assert (err.value.status, err.value.upstream_status) == (502, 500)
    assert control.requests() == 1


def test_get_is_retried_after_a_502(alice: BoundGiteaClient, control: EmulatorControl) -> None:
    control.fault("GET", REPO_PATH, "502", times=1)
    assert alice.get_repository(*ACME)["name"] == "service-a"
    assert control.requests() == 2


def test_get_gives_up_after_its_retries(alice: BoundGiteaClient, control: EmulatorControl) -> None:
    control.fault("GET", REPO_PATH, "502")
    with pytest.raises(GiteaUnavailable):
        alice.get_repository(*ACME)
    assert control.requests() == 3  # the first try and two retries


def test_post_is_never_retried(alice: BoundGiteaClient, control: EmulatorControl) -> None:
    control.fault("POST", ISSUES_PATH, "502", times=1)
    with pytest.raises(GiteaUnavailable):
        alice.create_issue(*ACME, "Must not be created twice")
    assert control.requests() == 1


def test_rate_limit_carries_retry_after(alice: BoundGiteaClient, control: EmulatorControl) -> None:
    control.fault("GET", REPO_PATH, "429", retry_after=7)
    with pytest.raises(GiteaRateLimited) as err:
        alice.get_repository(*ACME)
    assert (err.value.status, err.value.retry_after) == (429, 7)
    assert err.value.headers == {"Retry-After": "7"}
    assert control.requests() == 1


def test_connection_reset_is_unavailable(alice: BoundGiteaClient, control: EmulatorControl) -> None:
    control.fault("GET", REPO_PATH, "reset")
    with pytest.raises(GiteaUnavailable):
        alice.get_repository(*ACME)


def test_truncated_body_is_unavailable(alice: BoundGiteaClient, control: EmulatorControl) -> None:
    control.fault("GET", REPO_PATH, "truncated")
    with pytest.raises(GiteaUnavailable):
        alice.get_repository(*ACME)


def test_invalid_json_is_unavailable(alice: BoundGiteaClient, control: EmulatorControl) -> None:
    control.fault("GET", REPO_PATH, "invalid_json")
    with pytest.raises(GiteaUnavailable) as err:
        alice.get_repository(*ACME)
    assert "JSON" in err.value.message


@pytest.mark.timeout(30)
def test_slow_answer_is_a_timeout(emulator_url: str, tokens: dict[str, dict[str, str]],
                                  control: EmulatorControl) -> None:
    impatient = GiteaClient(emulator_url, timeout=0.3, pool_size=2, max_file_bytes=1024, retries=0)
    control.fault("GET", REPO_PATH, "latency", latency_ms=1500)
    with pytest.raises(GiteaTimeout) as err:
        impatient.bind(GiteaCredentials("token", tokens["alice"]["full"])).get_repository(*ACME)
    assert err.value.status == 504
    impatient.close()


@pytest.mark.timeout(30)
def test_unreachable_gitea_is_unavailable(tokens: dict[str, dict[str, str]]) -> None:
    from tests.fixtures.redis import free_port

    nobody = GiteaClient(f"http://127.0.0.1:{free_port()}", timeout=2, pool_size=1, max_file_bytes=1024)
    with pytest.raises(GiteaUnavailable):
        nobody.bind(GiteaCredentials("token", tokens["alice"]["full"])).current_user()
