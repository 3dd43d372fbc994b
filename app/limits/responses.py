"""The 429 outcome of a refused request: its message and how long to wait."""

from __future__ import annotations

import math
import time

from flask_limiter import Limiter, RateLimitExceeded, RequestLimit

from app.errors import TooManyRequests


def retry_after_seconds(limiter: Limiter, exc: RateLimitExceeded) -> int:
    """Whole seconds until the breached window resets (the full window if the storage cannot say)."""
    return seconds_until_reset(limiter.current_limit, exc)


def seconds_until_reset(breached: RequestLimit | None, exc: RateLimitExceeded) -> int:
    try:
        reset_at = breached.window.reset_time if breached is not None else None
    except Exception:  # noqa: BLE001 - storage gone between the check and now: fall back to the window
        reset_at = None
    if reset_at is None:
        return int(exc.limit.limit.get_expiry())
    return max(1, math.ceil(reset_at - time.time()))


def refusal_message(exc: RateLimitExceeded, retry_after: int) -> str:
    return f"Too many requests ({exc.description}); retry after {retry_after} seconds."


def refusal(limiter: Limiter, exc: RateLimitExceeded) -> TooManyRequests:
    """The outcome of a request the limiter refused: 429 with Retry-After (app/outcomes.py shapes it)."""
    retry_after = retry_after_seconds(limiter, exc)
    return TooManyRequests(refusal_message(exc, retry_after), retry_after)
