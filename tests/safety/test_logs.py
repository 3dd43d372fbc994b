"""Secrets never reach the logs: message, extra fields and tracebacks are masked."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from pythonjsonlogger.json import JsonFormatter

from app.safety.logs import SecretLogFilter, sanitize_log_value

FAKE_GITHUB = "ghp_FAKE7Fk0123456789abcdefABCDEFGHIJ0123"


@pytest.fixture
def json_log() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger writing JSON lines through a handler that carries the filter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(SecretLogFilter("mask"))
    logger = logging.getLogger("tests.safety.logs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def records(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_message_and_arguments_are_masked(json_log):
    logger, stream = json_log
    logger.info("upstream call with %s failed", f"token {FAKE_GITHUB}")
    [record] = records(stream)
    assert record["message"] == "upstream call with token [REDACTED:github_token] failed"


def test_extra_fields_are_masked_and_credential_named_fields_hidden(json_log):
    logger, stream = json_log
    logger.info("request", extra={"url": "https://bot:FakePw0rd99@gitea.local/api", "password": "hunter2",
                                  "context": {"authorization": "token abc", "repo": "org/app"}})  # fmt: skip
    [record] = records(stream)
    assert record["url"] == "https://bot:[REDACTED:url_password]@gitea.local/api"
    assert record["password"] == "***"
    assert record["context"] == {"authorization": "***", "repo": "org/app"}


def test_traceback_is_masked(json_log):
    logger, stream = json_log
    try:
        raise RuntimeError(f"bad credentials {FAKE_GITHUB}")
    except RuntimeError:
        logger.exception("call failed")
    [record] = records(stream)
    assert "RuntimeError" in str(record["exc_info"]) and "[REDACTED:github_token]" in str(record["exc_info"])
    assert FAKE_GITHUB not in stream.getvalue()


def test_plain_formatter_prints_the_masked_traceback():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(SecretLogFilter())
    record = logging.makeLogRecord({"msg": "boom", "exc_info": (ValueError, ValueError(FAKE_GITHUB), None)})
    handler.handle(record)
    assert "ValueError: [REDACTED:github_token]" in stream.getvalue()


def test_off_mode_leaves_records_alone(json_log):
    logger, stream = json_log
    logger.handlers[0].filters[0] = SecretLogFilter("off")
    logger.info(FAKE_GITHUB)
    assert records(stream)[0]["message"] == FAKE_GITHUB


def test_sanitize_log_value_walks_structures():
    assert sanitize_log_value({"token": "x", "items": [f"k={FAKE_GITHUB}", 3]}) == {
        "token": "***",
        "items": ["k=[REDACTED:github_token]", 3],
    }
