"""JSON-RPC 2.0 messages: parsing, shape checks and the one error type the engine raises."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app import json_codec

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
HEADER_MISMATCH = -32020
UNSUPPORTED_PROTOCOL_VERSION = -32022

RequestId = str | int


class RpcError(Exception):
    """A JSON-RPC error for one message; `http_status` is what Streamable HTTP answers with."""

    def __init__(
        self, code: int, message: str, *, data: Any = None, http_status: int = 200, request_id: RequestId | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data
        self.http_status = http_status
        self.request_id = request_id

    def to_message(self, request_id: RequestId | None = None) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        rid = request_id if request_id is not None else self.request_id
        return {"jsonrpc": "2.0", "id": rid, "error": error}


@dataclass(frozen=True)
class Message:
    """One decoded JSON-RPC message: a request (id set), a notification, or a client response."""

    raw: dict[str, Any]

    @property
    def id(self) -> RequestId | None:
        return self.raw.get("id")

    @property
    def method(self) -> str | None:
        return self.raw.get("method")

    @property
    def params(self) -> dict[str, Any]:
        return self.raw.get("params") or {}

    @property
    def is_request(self) -> bool:
        return self.method is not None and "id" in self.raw

    @property
    def is_notification(self) -> bool:
        return self.method is not None and "id" not in self.raw

    @property
    def is_response(self) -> bool:
        return self.method is None

    @property
    def meta(self) -> dict[str, Any]:
        meta = self.params.get("_meta")
        return meta if isinstance(meta, dict) else {}


def decode(body: bytes | str) -> Any:
    """The JSON value of a request body or WebSocket frame; -32700 when it is not JSON or nests too deep."""
    try:
        return json_codec.decode(body)
    except json_codec.TooDeeplyNested as exc:
        raise RpcError(PARSE_ERROR, f"Parse error: {exc}", http_status=400) from None
    except (ValueError, UnicodeDecodeError):
        raise RpcError(PARSE_ERROR, "Parse error: the body is not valid JSON", http_status=400) from None


def readable_id(value: Any) -> RequestId | None:
    """The request id when it is a usable one, so errors can echo it."""
    if isinstance(value, dict):
        rid = value.get("id")
        if isinstance(rid, str | int) and not isinstance(rid, bool):
            return rid
    return None


def to_message(value: Any) -> Message:
    """Check the JSON-RPC 2.0 envelope of one decoded value; -32600 when it is not a message."""
    rid = readable_id(value)
    if not isinstance(value, dict) or value.get("jsonrpc") != "2.0":
        raise _invalid("not a JSON-RPC 2.0 object", rid)
    if "id" in value and rid is None:
        raise _invalid("id must be a string or an integer", None)
    if "method" in value:
        _check_request(value, rid)
    elif not ("result" in value or "error" in value) or rid is None:
        raise _invalid("a message needs a method, or a result or error with an id", rid)
    return Message(value)


def _check_request(value: dict[str, Any], rid: RequestId | None) -> None:
    if not isinstance(value["method"], str) or not value["method"]:
        raise _invalid("method must be a non-empty string", rid)
    if "params" in value and not isinstance(value["params"], dict):
        raise _invalid("params must be an object", rid)


def _invalid(reason: str, rid: RequestId | None) -> RpcError:
    return RpcError(INVALID_REQUEST, f"Invalid Request: {reason}", http_status=400, request_id=rid)


def result_message(request_id: RequestId, result: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "result": result}


def notification(method: str, params: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "method": method, "params": params}
