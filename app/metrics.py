"""Prometheus metrics: HTTP request counts by route template, summed across gunicorn workers."""

from __future__ import annotations

import os
import time
from typing import Any

from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

from app.logging import route_template

HTTP_REQUESTS = Counter(
    "aegis_http_requests_total", "HTTP requests by method, route template and status", ["method", "path", "status"]
)
HTTP_DURATION = Histogram(
    "aegis_http_request_duration_seconds", "HTTP request duration by route template", ["method", "path"]
)


_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def _series(method: str, path: str, status: int) -> tuple[Any, Any]:
    """Label children cached per series: labels() takes a lock and hashes on every call."""
    key = (method, path, status)
    if key not in _children:
        _children[key] = (HTTP_REQUESTS.labels(method, path, str(status)), HTTP_DURATION.labels(method, path))
    return _children[key]


def _observe(response: Response) -> Response:
    counter, histogram = _series(request.method, route_template(), response.status_code)
    counter.inc()
    histogram.observe(time.perf_counter() - g.get("request_started", time.perf_counter()))
    return response


def render_metrics() -> Response:
    """Exposition for this process, or for every worker when gunicorn runs in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        payload = generate_latest(registry)
    else:
        payload = generate_latest()
    return Response(payload, mimetype=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    app.after_request(_observe)
