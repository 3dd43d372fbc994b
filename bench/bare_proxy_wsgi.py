"""Bench only: the floor for any gateway on this stack. A bare Flask app under the same gunicorn settings
that makes the same upstream call as get_repository_info and answers a JSON-RPC-shaped result, with no
auth, rate limit, policy, audit, validation or output shaping."""

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
