"""GET /metrics in Prometheus text format."""

from __future__ import annotations

from flask import Blueprint, Response

from app.http_metrics import render_metrics

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics() -> Response:
    return render_metrics()
