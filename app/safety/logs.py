"""Keep secrets out of the logs: a filter for any handler, and the value-level primitive."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from app.safety.secrets import SecretMode, default_scanner, is_sensitive_key

MASKED = "***"
# Attributes every LogRecord has; anything else on a record came from `extra=`.
_RECORD_FIELDS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


def sanitize_log_value(value: object) -> object:
    """Mask secrets in a log value: strings are scanned, credential-named keys become ***."""
    if isinstance(value, str):
        return default_scanner().mask(value)[0]
    if isinstance(value, Mapping):
        return {key: MASKED if is_sensitive_key(key) else sanitize_log_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [sanitize_log_value(item) for item in value]
    return value


class SecretLogFilter(logging.Filter):
    """Mask secrets in the message, the `extra=` fields and the traceback of each record.

    Attach it to handlers (not loggers): handler filters also see records propagated
    from child loggers such as gunicorn's and werkzeug's. `block` masks like `mask`:
    a log line is more useful with `[REDACTED:kind]` than withheld. `off` passes all.
    """

    def __init__(self, mode: SecretMode | str = SecretMode.MASK, name: str = "") -> None:
        super().__init__(name)
        self.enabled = SecretMode(mode) is not SecretMode.OFF

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drops it."""
        if self.enabled:
            record.msg, record.args = sanitize_log_value(record.getMessage()), None
            for key in record.__dict__.keys() - _RECORD_FIELDS:
                record.__dict__[key] = MASKED if is_sensitive_key(key) else sanitize_log_value(record.__dict__[key])
            _mask_traceback(record)
        return True


def _mask_traceback(record: logging.LogRecord) -> None:
    """Format the exception now, masked; formatters then print the masked text."""
    if record.exc_info:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.exc_info = None
    if record.exc_text:
        record.exc_text = str(sanitize_log_value(record.exc_text))
    if record.stack_info:
        record.stack_info = str(sanitize_log_value(record.stack_info))
