"""Prometheus metrics: route templates as labels, counts summed across gunicorn workers."""

from __future__ import annotations

import random
import re
import string

import requests

from app import create_app
from tests.fixtures.gunicorn import TEST_LIMITS

VALID = {"GITEA_URL": "http://127.0.0.1:9", "MCP_API_KEYS": "m" * 32, **TEST_LIMITS}


def sample(text: str, method: str, path: str, status: str) -> float:
    pattern = rf'^aegis_http_requests_total\{{method="{method}",path="{re.escape(path)}",status="{status}"\}} (\S+)$'
    match = re.search(pattern, text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_counts_are_summed_across_two_workers(gunicorn_server) -> None:
    server = gunicorn_server(GUNICORN_WORKERS="2", GUNICORN_THREADS="4")
    sent, pids = 0, set()
    # The kernel decides which worker accepts a connection: send new connections (in bounded batches)
    # until both workers have answered, so the sum below really spans two processes.
    while len(pids) < 2 and sent < 2000:
        for _ in range(50):
            requests.get(f"{server.url}/", headers={"Connection": "close"}, timeout=5)
        sent += 50
        pids = {line["pid"] for line in server.log_lines() if line.get("route") == "/"}
    assert len(pids) == 2, "both workers must have served requests for this test to mean anything"
    assert any("without REDIS_URL" in line.get("message", "") for line in server.log_lines())
    for _ in range(4):  # whichever worker answers the scrape, the sum is the same
        text = requests.get(f"{server.url}/metrics", headers={"Connection": "close"}, timeout=5).text
        assert sample(text, "GET", "/", "200") == float(sent)


def test_random_urls_do_not_create_a_series_each() -> None:
    app = create_app(VALID)
    client = app.test_client()

    def series() -> dict[str, float]:
        """The request counter's series (the registry is the process's: earlier tests' series are in it)."""
        lines = client.get("/metrics").text.splitlines()
        pairs = (line.rsplit(" ", 1) for line in lines if line.startswith("aegis_http_requests_total{"))
        return {labels: float(value) for labels, value in pairs}

    before = series()
    for _ in range(10_000):
        path = "/" + "".join(random.choices(string.ascii_lowercase + "/", k=12))
        client.get(path)
    after = series()
    assert len(set(after) - set(before)) < 10  # 10,000 random paths, a handful of new series at most
    assert sum(after.values()) - sum(before.values()) >= 10_000


def test_metrics_can_be_disabled(gunicorn_server) -> None:
    server = gunicorn_server(METRICS_ENABLED="false")
    assert requests.get(f"{server.url}/metrics", timeout=5).status_code == 404
