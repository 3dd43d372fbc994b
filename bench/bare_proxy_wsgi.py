"""Bench only: the floor for any gateway on this stack. A bare Flask app under the same gunicorn settings
that makes the same upstream call as get_repository_info (bench_mcp) or get_file_contents of the 1 MiB file
(bench_tools) and answers a result of the same shape, with no auth, rate limit, policy, audit, validation
or output shaping."""

import os

import requests
from flask import Flask, jsonify

app = Flask(__name__)
session = requests.Session()


@app.get("/health")
def health():  # type: ignore[no-untyped-def]
    return jsonify(status="healthy")


@app.post("/mcp")
def call():  # type: ignore[no-untyped-def]
    url = f"{os.environ['GITEA_URL']}/api/v1/repos/acme/service-a"
    repo = session.get(url, headers={"Authorization": f"token {os.environ['GITEA_TOKEN']}"}, timeout=30).json()
    return jsonify(jsonrpc="2.0", id=1, result={"content": [{"type": "text", "text": repo["full_name"]}]})


def file_answer(text: str):  # type: ignore[no-untyped-def]
    """The shape of a tools/call answer: the shown text twice (text content and structured content)."""
    return jsonify(content=[{"type": "text", "text": text}], structuredContent={"content": text}, isError=False)


def raw_file(stream: bool) -> requests.Response:
    url = f"{os.environ['GITEA_URL']}/api/v1/repos/alice/big/raw/data/one_mib.txt"
    return session.get(url, headers={"Authorization": f"token {os.environ['GITEA_TOKEN']}"}, timeout=30, stream=stream)


@app.post("/file")
def file():  # type: ignore[no-untyped-def]
    """bench_tools' naive floor: read the whole raw file, answer its first MAX_TOOL_RESPONSE_CHARS characters."""
    chars = int(os.environ["MAX_TOOL_RESPONSE_CHARS"])
    return file_answer(raw_file(stream=False).content.decode("utf-8", errors="replace")[:chars])


@app.post("/file-partial")
def file_partial():  # type: ignore[no-untyped-def]
    """bench_tools' lean floor: read only the bytes the answer can show, then drop the connection."""
    chars = int(os.environ["MAX_TOOL_RESPONSE_CHARS"])
    with raw_file(stream=True) as response:
        raw = response.raw.read(4 * chars)
    return file_answer(raw.decode("utf-8", errors="replace")[:chars])
