"""Record every /api/v1 request (method, swagger template, query and body names) to requests.jsonl."""

from __future__ import annotations

import json
import re
import threading
from typing import Any

from flask import Request

API_PREFIX = "/api/v1"
_CONVERTER = re.compile(r"<(?:[^>]*:)?(\w+)>")


def swagger_template(rule: str) -> str:
    """Turn a Flask rule under /api/v1 into its swagger path template."""
    return _CONVERTER.sub(r"{\1}", rule[len(API_PREFIX) :] if rule.startswith(API_PREFIX) else rule)


class RequestRecorder:
    """Appends one JSON line per API request, so contract tests can replay what a client sent."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()

    def record(self, request: Request) -> None:
        """Append the request's shape (never its values) to the log."""
        rule = request.url_rule.rule if request.url_rule else None
        body = request.get_json(silent=True)
        entry: dict[str, Any] = {
            "method": request.method,
            "path": request.path,
            "template": swagger_template(rule) if rule else None,
            "query": sorted(set(request.args.keys())),
            "body": sorted(body.keys()) if isinstance(body, dict) else [],
        }
        with self._lock, open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")
