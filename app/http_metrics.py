"""Prometheus metrics: HTTP request counts by route template, summed across gunicorn workers."""

from __future__ import annotations

import os
from typing import Any

from flask import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

HTTP_REQUESTS = Counter(
    "aegis_http_requests_total", "HTTP requests by method, route template and status", ["method", "path", "status"]
)
HTTP_DURATION = Histogram(
    "aegis_http_request_duration_seconds", "HTTP request duration by route template", ["method", "path"]
)


_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def observe_request(method: str, path: str, status: int, duration: float) -> None:
    """Count one HTTP request; label children are cached per series (labels() locks and hashes)."""
    key = (method, path, status)
    if key not in _children:
        _children[key] = (HTTP_REQUESTS.labels(method, path, str(status)), HTTP_DURATION.labels(method, path))
    counter, histogram = _children[key]
    counter.inc()
    histogram.observe(duration)


def render_metrics() -> Response:
    """Exposition for this process, or for every worker when gunicorn runs in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        payload = generate_latest(registry)
    else:
        payload = generate_latest()
    return Response(payload, mimetype=CONTENT_TYPE_LATEST)

