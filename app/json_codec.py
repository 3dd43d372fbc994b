"""The service's JSON: orjson on every hot path, stdlib json for whatever orjson refuses or would change."""

from __future__ import annotations

import json
import re
from typing import Any, cast

import orjson
from flask import Flask, Response
from flask.json.provider import DefaultJSONProvider

# Datetimes and dataclasses go through Flask's `default` (HTTP dates, asdict) as they did before orjson.
ENCODE_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
# orjson turns integers beyond 64 bits into floats without complaint; 19+ digits in a row go to stdlib json.
# Bytes are checked by mapping every digit to "0" and searching for 19 in a row: two C passes, where a regex
# tries a match at every position (88 us for a 9 KB issue list, more than parsing it).
DIGITS_AS_ZEROS = bytes.maketrans(b"0123456789", b"0" * 10)
LONG_RUN = b"0" * 19
LONG_DIGITS_TEXT = re.compile(r"\d{19}")
# Deepest nesting of arrays and objects a JSON text may have: tool arguments are a few levels deep, and
# every walk over a decoded value (argument schemas, secret masking, audit) stays far from Python's
# recursion limit. Checked in decode, so every body the service reads is held to it.
MAX_NESTING = 64
CONTAINERS = (dict, list)  # a tuple: isinstance checks it faster than `dict | list`, once per element
stdlib_default = DefaultJSONProvider.default


class TooDeeplyNested(ValueError):
    """A JSON text nested deeper than MAX_NESTING: a client error, never a RecursionError."""

    def __init__(self) -> None:
        super().__init__(f"the JSON is nested deeper than {MAX_NESTING} levels of arrays and objects")


def encode(value: Any) -> bytes:
    """Compact UTF-8 JSON; stdlib json (ASCII-escaped) for lone surrogates, ints beyond 64 bits and the like."""
    try:
        return orjson.dumps(value, default=stdlib_default, option=ENCODE_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(value, default=stdlib_default, separators=(",", ":")).encode()


def decode(data: str | bytes) -> Any:
    """The value of a JSON text, exactly as stdlib json reads it; ValueError when it is not JSON, and
    TooDeeplyNested (a ValueError) when it nests deeper than MAX_NESTING."""
    value = parse(data)
    if nesting_exceeds(value, MAX_NESTING):
        raise TooDeeplyNested()
    return value


def parse(data: str | bytes) -> Any:
    """orjson where it reads the text as stdlib json would, else stdlib json. orjson refuses more than
    1024 levels; stdlib json recurses once per level and raises RecursionError near 1000."""
    long_digits = has_long_digits(data) if isinstance(data, bytes | bytearray) else LONG_DIGITS_TEXT.search(data)
    if not long_digits:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass  # stdlib accepts a little more (NaN, BOMs, UTF-16, escaped lone surrogates) or raises its own error
    try:
        return json.loads(data)
    except RecursionError:
        raise TooDeeplyNested() from None


def has_long_digits(data: bytes | bytearray) -> bool:
    """Whether 19 or more digits stand in a row (a number orjson might read as a float)."""
    return LONG_RUN in data.translate(DIGITS_AS_ZEROS)


def parse_utf8(data: bytes) -> Any:
    """orjson's reading of JSON bytes, only where it is what stdlib json reads from their UTF-8 text; ValueError
    otherwise (not UTF-8, a BOM, NaN, integers beyond 64 bits, escaped lone surrogates ...: ask stdlib json)."""
    if has_long_digits(data):
        raise ValueError("integers beyond 64 bits are read by stdlib json")
    return orjson.loads(data)


def nesting_exceeds(value: Any, limit: int) -> bool:
    """Whether a decoded value has more than `limit` levels of arrays and objects.

    Level by level, without recursion: one look at each array element and object value, and a
    value without containers (a tool call's long file content) is done at once."""
    level = [value] if isinstance(value, CONTAINERS) else []
    for _ in range(limit):
        level = [
            item
            for container in level
            for item in (container.values() if isinstance(container, dict) else container)
            if isinstance(item, CONTAINERS)
        ]
        if not level:
            return False
    return bool(level)


class OrjsonProvider(DefaultJSONProvider):
    """Flask's JSON (jsonify, request.get_json) through encode/decode; keys stay in the order we build them."""

    sort_keys = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return super().dumps(obj, **kwargs) if kwargs else encode(obj).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return json.loads(s, **kwargs) if kwargs else decode(s)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        if self.compact is False or (self.compact is None and self._app.debug):
            return cast(Response, super().response(*args, **kwargs))  # indented for a human reader
        body = encode(self._prepare_response_obj(args, kwargs)) + b"\n"
        return cast(Flask, self._app).response_class(body, mimetype=self.mimetype)
