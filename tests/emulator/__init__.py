"""A Gitea 1.27 emulator for tests: real git repositories, Gitea's REST contract, Gitea's quirks.

Run it with `python -m tests.emulator --port PORT --state-dir DIR [--seed demo|empty|PATH.json]`
or from tests with `tests.emulator.process.EmulatorProcess`. It serves:

- `/api/v1/...`: the Gitea routes the product uses, following `shared/gitea/swagger.v1.json`
  (paths, parameters, fields) and `shared/gitea/FACTS.md` (nulls, errors, paging, scopes).
- `/login/oauth/*`, `/.well-known/openid-configuration`: the OAuth2/OIDC provider (oauth.py).
- `/_emulator/...`: a TEST CONTROL API THAT REAL GITEA DOES NOT HAVE:
  `POST /_emulator/faults` arms a fault `{"method", "path" (exact or fnmatch glob), "kind":
  latency|500|502|429|reset|truncated|stalled|invalid_json, "latency_ms"?, "retry_after"?, "times"?}`,
  `DELETE /_emulator/faults` disarms all; `GET /_emulator/stats` gives `{"requests", "connections"}`
  and `POST /_emulator/stats/reset` zeroes them; `POST /_emulator/tokens/{login}/revoke`
  (`{"token"}` for one PAT, else all); `POST /_emulator/webhooks/deliver` sends one signed webhook.

Every `/api/v1` request is appended to `DIR/requests.jsonl` as `{"method", "path", "template",
"query", "body"}` (names only) for contract tests. The emulator invents nothing under `/api/v1`.
"""
