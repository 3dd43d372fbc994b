"""Gitea's error shape: `{"message": ..., "url": "<ROOT_URL>api/swagger"}`."""

from __future__ import annotations

from flask import Response, current_app, jsonify


class GiteaError(Exception):
    """An API error Gitea would answer with this status and message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def not_found(message: str = "not found") -> GiteaError:
    """Return the 404 Gitea's APIErrorNotFound sends."""
    return GiteaError(404, message)


def error_response(status: int, message: str) -> Response:
    """Build the JSON error body every failing API call returns."""
    response = jsonify({"message": message, "url": current_app.config["ROOT_URL"] + "api/swagger"})
    response.status_code = status
    return response
