"""Prometheus metrics: HTTP request counts by route template, summed across gunicorn workers."""

from __future__ import annotations

import os
import time

from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

from app.logging import route_template

HTTP_REQUESTS = Counter(
    "aegis_http_requests_total", "HTTP requests by method, route template and status", ["method", "path", "status"]
)
HTTP_DURATION = Histogram(
    "aegis_http_request_duration_seconds", "HTTP request duration by route template", ["method", "path"]
)


def _observe(response: Response) -> Response:
    path = route_template()
    HTTP_REQUESTS.labels(request.method, path, str(response.status_code)).inc()
    started = g.get("request_started")
    if started is not None:
        HTTP_DURATION.labels(request.method, path).observe(time.perf_counter() - started)
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
