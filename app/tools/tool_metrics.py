"""Tool-call metrics: calls by outcome and time spent, per tool."""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter, Histogram

TOOL_CALLS = Counter("aegis_tool_calls_total", "Tool calls by tool and outcome", ["tool", "status"])
TOOL_DURATION = Histogram(
    "aegis_tool_duration_seconds",
    "Tool execution time, from validation to shaped result",
    ["tool"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)


_children: dict[tuple[str, str], tuple[Any, Any]] = {}


def record_tool_call(tool: str, status: str, seconds: float) -> None:
    """Count one call and its time (label children cached per series, as in app/http_metrics.py)."""
    key = (tool, status)
    if key not in _children:
        _children[key] = (TOOL_CALLS.labels(tool, status), TOOL_DURATION.labels(tool))
    counter, histogram = _children[key]
    counter.inc()
    histogram.observe(seconds)
