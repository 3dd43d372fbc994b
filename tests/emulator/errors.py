"""Gitea's error shape: `{"message": ..., "url": "<ROOT_URL>api/swagger"}`."""

from __future__ import annotations

from typing import TypeVar

from flask import Response, current_app, jsonify

T = TypeVar("T")


class GiteaError(Exception):
    """An API error Gitea would answer with this status and message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def not_found(message: str = "not found") -> GiteaError:
    """Return the 404 Gitea's APIErrorNotFound sends."""
    return GiteaError(404, message)


def found_or_404(value: T | None, message: str = "not found") -> T:
    """Return a looked-up value, or raise Gitea's 404 when the lookup found nothing."""
    if value is None:
        raise not_found(message)
    return value


def error_response(status: int, message: str) -> Response:
    """Build the JSON error body every failing API call returns."""
    response = jsonify({"message": message, "url": current_app.config["ROOT_URL"] + "api/swagger"})
    response.status_code = status
    return response
