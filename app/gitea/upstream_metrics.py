"""Prometheus metrics for upstream calls, labelled by the swagger route template."""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter, Histogram

GITEA_REQUESTS = Counter(
    "aegis_gitea_requests_total",
    "Requests sent to Gitea by route template and outcome (HTTP status, timeout or connection_error)",
    ["route", "status"],
)
GITEA_LATENCY = Histogram(
    "aegis_gitea_request_duration_seconds",
    "Time until Gitea's response headers arrived, by route template",
    ["route"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


_children: dict[tuple[str, str], tuple[Any, Any]] = {}


def observe(route: str, status: str, seconds: float) -> None:
    """Count one upstream call and record how long it took (label children cached, as in app/http_metrics.py)."""
    key = (route, status)
    if key not in _children:
        _children[key] = (GITEA_REQUESTS.labels(route=route, status=status), GITEA_LATENCY.labels(route=route))
    counter, histogram = _children[key]
    counter.inc()
    histogram.observe(seconds)
