"""MCP elicitation for the flow guard: asking the user to confirm a flagged write.

Only legacy sessions of 2025-06-18 or later whose client declared the `elicitation` capability at
`initialize`, over Streamable HTTP with an SSE response: the `elicitation/create` request goes out
on the tool call's own stream, and the client POSTs its answer in the same session, to any worker;
the store carries it to the waiting call (pub/sub, like the legacy SSE bus). 2026-07-28 has no
server-to-client requests (only MRTR `input_required`), so there the write is refused as before.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from app import json_codec
from app.mcp.jsonrpc import Message
from app.store import Store, Subscription

ELICITATION_SINCE = "2025-06-18"
CAPABLE_PREFIX = "mcp:session:elicitation:"
ANSWER_PREFIX = "mcp:elicitation:answer:"
REQUEST_PREFIX = "aegis-elicit-"
ANSWER_SECONDS = 120.0  # a person reads the question; past this the write is refused
ANSWER_SLICE = 1.0  # the wait for an answer looks this often whether the call was cancelled (client gone)
SESSION_SECONDS = 24 * 3600.0


def remember_capability(store: Store, nonce: str, version: str, params: Any) -> None:
    """At initialize: keep whether this session's client can be asked (declared capability, revision)."""
    capabilities = params.get("capabilities") if isinstance(params, dict) else None
    if version >= ELICITATION_SINCE and isinstance(capabilities, dict) and "elicitation" in capabilities:
        store.set(CAPABLE_PREFIX + nonce, b"1", ttl=SESSION_SECONDS)


def can_ask(store: Store, nonce: str | None) -> bool:
    return nonce is not None and store.get(CAPABLE_PREFIX + nonce) is not None


def deliver_answer(store: Store, nonce: str, message: Message) -> None:
    """A client's response POSTed in session `nonce`: to the call of that session waiting for it."""
    if message.is_response and isinstance(message.id, str) and message.id.startswith(REQUEST_PREFIX):
        store.publish(f"{ANSWER_PREFIX}{nonce}:{message.id}", json_codec.encode(message.raw))


def asker(store: Store, nonce: str, notify: Callable[[dict[str, Any]], None],
          cancelled: threading.Event) -> Callable[[str, dict], Any]:
    """ask(message, requestedSchema) -> the client's result, or None (no answer in time, the call cancelled,
    or an error)."""
    def ask(message: str, schema: dict[str, Any]) -> Any:
        request_id = f"{REQUEST_PREFIX}{secrets.token_hex(12)}"
        with store.subscribe(f"{ANSWER_PREFIX}{nonce}:{request_id}") as answers:  # before asking: no lost answer
            notify({"jsonrpc": "2.0", "id": request_id, "method": "elicitation/create",
                    "params": {"message": message, "requestedSchema": schema}})
            raw = first_answer(answers, cancelled)
        answer = json_codec.decode(raw) if raw is not None else None
        return answer.get("result") if isinstance(answer, dict) else None

    return ask


def first_answer(answers: Subscription, cancelled: threading.Event) -> bytes | None:
    """The answer, waited for in short slices: a client that went away frees the wait within a slice."""
    deadline = time.monotonic() + ANSWER_SECONDS
    while not cancelled.is_set() and (left := deadline - time.monotonic()) > 0:
        raw = answers.get(timeout=min(ANSWER_SLICE, left))
        if raw is not None:
            return raw
    return None
