"""MCP transports: Streamable HTTP at /mcp, HTTP+SSE at /mcp/sse, WebSocket at /mcp/ws, plain JSON tool routes.

Every route translates bytes into app.mcp engine calls and back; none holds protocol logic.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, copy_current_request_context, current_app, g, jsonify, request, url_for
from flask_limiter import RateLimitExceeded
from flask_sock import Sock

from app import json_codec
from app.audit.events import CORRELATION_HEADER, correlation_id_from
from app.auth.authenticator import EXTENSION as AUTH_EXTENSION
from app.auth.authenticator import Authenticator
from app.auth.failures import AuthAttempt
from app.auth.principal import Principal
from app.errors import BadRequest, NotFound, read_body
from app.limits import EXTENSION as LIMITS_EXTENSION
from app.limits.calls import CallBudget
from app.limits.keys import client_address
from app.limits.responses import refusal
from app.logging import current_request_id
from app.mcp.admission import accepts_sse, require_event_stream, require_json_post
from app.mcp.elicitation import asker, can_ask, deliver_answer, remember_capability
from app.mcp.engine import CallContext
from app.mcp.jsonrpc import INVALID_PARAMS, INVALID_REQUEST, Message, RequestId, RpcError, decode, to_message
from app.mcp.revisions import (
    BATCH_VERSION,
    LATEST_LEGACY,
    LEGACY_VERSIONS,
    header_version,
    is_modern,
    legacy_version,
    modern_version,
)
from app.mcp.runtime import McpRuntime, StreamHold, mcp_runtime
from app.mcp.sessions import Session
from app.mcp.stream_caps import TooManyStreams
from app.mcp.streaming import SSE_HEADERS, StreamsExhausted, held_stream, sse_event, streamed_call
from app.outcomes import error_response, http_error, json_response, rest_tool_response, rpc_error_response, tool_error
from app.tools.call import UnknownTool
from app.tools.selection import (
    READONLY_HEADER,
    READONLY_PARAMETER,
    TOOLSETS_HEADER,
    TOOLSETS_PARAMETER,
    Selection,
    SelectionError,
)

bp = Blueprint("mcp", __name__)
sock = Sock()
SESSION_HEADER = "Mcp-Session-Id"
SSE_VERSION_PREFIX = "mcp:sse:version:"
WS_ENDPOINT = "mcp.websocket"
WS_CONCURRENT_REQUESTS = 4
MAX_BATCH_MESSAGES = 50
RPC_ENDPOINTS = ("mcp.streamable_post", "mcp.sse_post")  # routes whose POST body is a JSON-RPC message
# Where the request's correlation id is kept (the WSGI environ survives copied request contexts).
CORRELATION_ENVIRON = "aegis.correlation_id"  # a 2025-03-26 batch; each call in it counts against the rate limits


@bp.before_request
def _admit() -> None:
    """Browser origins on every MCP route (app.hosts already checked Host); WebSockets authenticate
    before the upgrade."""
    runtime = mcp_runtime()
    runtime.origins.check_origin(request.headers)
    _correlate()
    if request.endpoint == WS_ENDPOINT:
        g.mcp_principal = authenticate()
        g.mcp_selection = http_selection()  # a bad selection is refused before the upgrade
        g.mcp_hold = runtime.admit_stream("websocket", g.mcp_principal, client_address())


def _correlate() -> None:
    """One correlation id per HTTP request for its tool calls; a WebSocket's calls get one each unless the
    client named one at the upgrade."""
    supplied = request.headers.get(CORRELATION_HEADER)
    if request.endpoint != WS_ENDPOINT or correlation_id_from(supplied) == supplied:
        request.environ[CORRELATION_ENVIRON] = correlation_id_from(supplied)


@bp.after_request
def _echo_correlation(response: Response) -> Response:
    correlation = request.environ.get(CORRELATION_ENVIRON)
    if correlation:
        response.headers[CORRELATION_HEADER] = correlation
    return response


@bp.teardown_request
def _release_websocket_slot(_exc: BaseException | None) -> None:
    hold = g.pop("mcp_hold", None)
    if hold is not None:
        hold.release()


@bp.errorhandler(RpcError)
def _rpc_error(exc: RpcError) -> Response:
    return json_response(exc.to_message(), exc.http_status)


@bp.errorhandler(RateLimitExceeded)
def _rate_limited(exc: RateLimitExceeded) -> Response:
    """A refused JSON-RPC message gets a JSON-RPC error (with its id); anything else the HTTP error."""
    refused = refusal(current_app.extensions[LIMITS_EXTENSION], exc)
    if request.method == "POST" and request.endpoint in RPC_ENDPOINTS:
        body = request.get_json(force=True, silent=True)
        if isinstance(body, dict) and body.get("jsonrpc") == "2.0":
            return rpc_error_response(refused, body.get("id") if isinstance(body.get("id"), str | int) else None)
        if isinstance(body, list):  # a batch: one error for all of it
            return rpc_error_response(refused, None)
    return http_error(refused)


def authenticate() -> Principal:
    """The caller, or Unauthorized (401 + WWW-Authenticate) through the app's error handler."""
    authenticator: Authenticator = current_app.extensions[AUTH_EXTENSION]
    attempt = AuthAttempt(client_address(), request.url_rule.rule if request.url_rule else request.path,
                          current_request_id())
    return authenticator.authenticate(request.headers.get("Authorization"), attempt)


def call_context(principal: Principal, version: str, message: Message, transport: str = "streamable_http",
                 selection: Selection | None = None) -> CallContext:
    """The engine's context of one JSON-RPC request, with this HTTP request's correlation id and the
    connection's tool selection (from this request's URL and headers unless given)."""
    return CallContext(principal, version, message.id, message.meta,
                       correlation_id=request.environ.get(CORRELATION_ENVIRON), transport=transport,
                       selection=selection if selection is not None else rpc_selection(message.id))


# --- Tool selection: ?toolsets=files,issues&readonly=1 on the MCP URL, or X-MCP-Toolsets / X-MCP-Readonly --


def request_selection() -> Selection:
    """This request's selection; SelectionError naming the valid toolsets. Legacy-session clients send the
    URL's query string with every request, so each request carries it."""
    toolsets = [(f"?{TOOLSETS_PARAMETER}=", raw) for raw in request.args.getlist(TOOLSETS_PARAMETER)]
    readonly: list[tuple[str, str | None]] = [
        (f"?{READONLY_PARAMETER}=", raw) for raw in request.args.getlist(READONLY_PARAMETER)
    ]
    if TOOLSETS_HEADER in request.headers:
        toolsets.append((TOOLSETS_HEADER, request.headers[TOOLSETS_HEADER]))
    if READONLY_HEADER in request.headers:
        readonly.append((READONLY_HEADER, request.headers[READONLY_HEADER]))
    return mcp_runtime().engine.tools.select(toolsets, readonly)


def rpc_selection(request_id: RequestId | None) -> Selection:
    try:
        return request_selection()
    except SelectionError as exc:
        raise RpcError(INVALID_PARAMS, str(exc), request_id=request_id) from None


def http_selection() -> Selection:
    try:
        return request_selection()
    except SelectionError as exc:
        raise BadRequest(str(exc)) from None


def selection_query() -> dict[str, Any]:
    """The selection parameters of this request's URL, to repeat on URLs we hand to the client."""
    return {name: request.args[name] for name in (TOOLSETS_PARAMETER, READONLY_PARAMETER) if name in request.args}


def accepted() -> Response:
    return Response(status=202)


def method_not_allowed() -> Response:
    return error_response(405, "The 2026-07-28 revision uses POST only.", headers={"Allow": "POST"})


# --- Streamable HTTP: POST /mcp ------------------------------------------------------------------


@bp.post("/mcp")
def streamable_post() -> Response:
    require_json_post(request.headers)
    principal = authenticate()
    value = decode(read_body())
    if isinstance(value, list):
        return batch(value, principal)
    message = to_message(value)
    if is_modern(message, request.headers):
        return modern_post(message, principal)
    return legacy_post(message, principal)


def modern_post(message: Message, principal: Principal) -> Response:
    if message.is_notification:
        return accepted()  # 2026-07-28 defines no client notifications: accept and drop
    if message.is_response:
        raise RpcError(INVALID_REQUEST, "This server sends no requests to answer", http_status=400)
    version = modern_version(message, request.headers)
    return respond(message, call_context(principal, version, message), scope=None)


def legacy_post(message: Message, principal: Principal) -> Response:
    if message.method == "initialize" and message.is_request:
        return initialize(message, principal)
    session = open_session(principal, message.id)
    if not message.is_request:
        notice(message, session.nonce)
        return accepted()
    version = legacy_version(request.headers, session.version)
    return respond(message, call_context(principal, version, message), scope=session.nonce)


def initialize(message: Message, principal: Principal) -> Response:
    runtime = mcp_runtime()
    status, reply = runtime.engine.answer(message, call_context(principal, BATCH_VERSION, message))
    if "result" not in reply:
        return json_response(reply, status)
    version = reply["result"]["protocolVersion"]
    session_id = runtime.seal.mint(principal, version)
    remember_capability(runtime.store, session_id.split(".")[2], version, message.params)
    return json_response(reply, status, {SESSION_HEADER: session_id})


def open_session(principal: Principal, request_id: RequestId | None = None) -> Session:
    """The caller's legacy session: 400 without the header, 404 when unknown, ended or someone else's."""
    session_id = request.headers.get(SESSION_HEADER, "").strip()
    if not session_id:
        raise RpcError(
            INVALID_REQUEST, "Bad Request: send the Mcp-Session-Id header that initialize returned",
            http_status=400, request_id=request_id,
        )
    session = mcp_runtime().seal.open(session_id, principal)
    if session is None:
        raise RpcError(
            INVALID_REQUEST, "Session not found: it ended or expired; initialize again",
            http_status=404, request_id=request_id,
        )
    return session


def notice(message: Message, scope: str) -> None:
    """Client notifications and responses need no answer; cancellation stops a running request."""
    if message.method == "notifications/cancelled":
        mcp_runtime().inflight.cancel(scope, message.params)
    deliver_answer(mcp_runtime().store, scope, message)  # an answer to our elicitation/create


def respond(message: Message, context: CallContext, scope: str | None) -> Response:
    """JSON, or an SSE stream when a tool call asked for progress, or is a write in a session whose client can
    be asked to confirm a flagged flow (elicitation), and the client reads SSE."""
    runtime = mcp_runtime()
    wants_progress = message.method == "tools/call" and "progressToken" in message.meta
    asking = may_ask(runtime, message, scope)
    if (wants_progress or asking) and accepts_sse(request.headers.get("Accept")):
        params = message.params if isinstance(message.params, dict) else {}
        runtime.engine.tools.scope_challenge(context.principal, params.get("name"), params.get("arguments"), context)
        try:
            hold = admit_asking(runtime, context) if asking else None
        except (TooManyStreams, StreamsExhausted) as exc:  # this message's JSON-RPC error, with Retry-After
            return rpc_error_response(exc, message.id)
        return progress_stream(runtime, message, context, scope, hold)
    with runtime.inflight.running(scope, message.id, context.cancelled):
        status, reply = runtime.engine.answer(message, context, http_errors=True)
    return json_response(reply, status)


def may_ask(runtime: McpRuntime, message: Message, scope: str | None) -> bool:
    """A write in a session whose client can be asked: answered on a stream, so the flow guard can ask."""
    if message.method != "tools/call" or not runtime.engine.tools.is_write(message.params.get("name")):
        return False
    return can_ask(runtime.store, scope)  # a store lookup: only for writes, not on every read call


def admit_asking(runtime: McpRuntime, context: CallContext) -> StreamHold:
    """A write that may wait minutes for the user holds a stream like any other (caps, worker slots), and
    counts against the credential's pending questions (app.mcp.stream_caps.PENDING_QUESTIONS)."""
    return runtime.admit_stream("streamable_http", context.principal, client_address(), asking=True)


def progress_stream(runtime: McpRuntime, message: Message, context: CallContext, scope: str | None,
                    hold: StreamHold | None) -> Response:
    @copy_current_request_context
    def work(notify: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        context.notify = notify
        if scope is not None and hold is not None:
            context.ask = asker(runtime.store, scope, notify, context.cancelled)
        with runtime.inflight.running(scope, message.id, context.cancelled):
            return runtime.engine.answer(message, context)[1]

    body = streamed_call(work, context.cancelled, runtime.keepalive, beat=hold.beat if hold else lambda: True)
    response = Response(body, mimetype="text/event-stream", headers=SSE_HEADERS)
    if hold is not None:
        response.call_on_close(hold.release)
    return response


def batch(values: list[Any], principal: Principal) -> Response:
    """JSON-RPC batches, which only the 2025-03-26 revision has; each call counts as a request for the
    rate limits (the HTTP request's own count pays for the first)."""
    if not values or is_modern(None, request.headers):
        raise RpcError(INVALID_REQUEST, "Invalid Request: batches exist only at 2025-03-26", http_status=400)
    session = open_session(principal)
    if legacy_version(request.headers, session.version) != BATCH_VERSION:
        raise RpcError(INVALID_REQUEST, "Invalid Request: batches exist only at 2025-03-26", http_status=400)
    if len(values) > MAX_BATCH_MESSAGES:
        raise RpcError(INVALID_REQUEST, f"Invalid Request: a batch may hold at most {MAX_BATCH_MESSAGES} messages; "
                       f"this one has {len(values)}", http_status=400)
    budget = CallBudget(prepaid=1)
    replies = [reply for value in values if (reply := batch_item(value, principal, session, budget)) is not None]
    return json_response(replies) if replies else accepted()


def batch_item(value: Any, principal: Principal, session: Session, budget: CallBudget) -> dict[str, Any] | None:
    try:
        message = to_message(value)
    except RpcError as exc:
        return exc.to_message()
    if message.method == "initialize":
        return RpcError(INVALID_REQUEST, "initialize cannot be part of a batch").to_message(message.id)
    if not message.is_request:
        notice(message, session.nonce)
        return None
    refusal = budget.refusal(message.id)
    if refusal is not None:
        return refusal
    context = call_context(principal, BATCH_VERSION, message)
    with mcp_runtime().inflight.running(session.nonce, message.id, context.cancelled):
        return mcp_runtime().engine.answer(message, context, http_errors=True)[1]


# --- Streamable HTTP: GET and DELETE /mcp (legacy sessions only) -----------------------------------


@bp.get("/mcp")
def standalone_stream() -> Response:
    """The legacy server-to-client stream: we send no server-initiated messages, so only keep-alives."""
    if is_modern(None, request.headers):
        return method_not_allowed()
    require_event_stream(request.headers)
    principal = authenticate()
    open_session(principal)
    runtime = mcp_runtime()
    hold = runtime.admit_stream("streamable_http", principal, client_address())
    body = held_stream(nothing_to_send, runtime.keepalive, runtime.lifetime, beat=hold.beat)
    response = Response(body, mimetype="text/event-stream", headers=SSE_HEADERS)
    response.call_on_close(hold.release)
    return response


def nothing_to_send(timeout: float) -> None:
    time.sleep(timeout)


@bp.delete("/mcp")
def end_session() -> Response:
    if is_modern(None, request.headers):
        return method_not_allowed()
    runtime = mcp_runtime()
    runtime.seal.end(open_session(authenticate()))
    return Response(status=204)


# --- HTTP+SSE (2024-11-05): GET /mcp/sse opens the stream, POST /mcp/sse?session_id= sends --------


@bp.get("/mcp/sse")
def sse_stream() -> Response:
    require_event_stream(request.headers)
    principal = authenticate()
    http_selection()  # refused now, with the valid toolsets named; the endpoint URL repeats the selection
    runtime = mcp_runtime()
    hold = runtime.admit_stream("sse", principal, client_address())
    try:
        stream_id = runtime.seal.mint(principal, "2024-11-05")
        subscription = runtime.bus.attach(stream_id)
    except BaseException:
        hold.release()
        raise

    def next_message(timeout: float) -> str | None:
        raw = subscription.get(timeout)
        return None if raw is None else sse_event(raw.decode())

    endpoint = sse_event(url_for("mcp.sse_post", session_id=stream_id, **selection_query()), event="endpoint")
    body = held_stream(next_message, runtime.keepalive, runtime.lifetime, first=endpoint, beat=hold.beat)
    response = Response(body, mimetype="text/event-stream", headers=SSE_HEADERS)

    def close() -> None:
        hold.release()
        runtime.bus.detach(stream_id, subscription)

    response.call_on_close(close)
    return response


@bp.post("/mcp/sse")
def sse_post() -> Response:
    """Accept one message (202); its answer travels on the stream, whichever worker holds it."""
    require_json_post(request.headers)
    principal = authenticate()
    runtime = mcp_runtime()
    stream_id = request.args.get("session_id", "")
    if not stream_id:
        raise BadRequest("session_id is missing: POST to the URL of the stream's endpoint event.")
    session = runtime.seal.open(stream_id, principal)
    if session is None or not runtime.bus.is_open(stream_id):
        raise NotFound("No open SSE stream has this session_id; open GET /mcp/sse again.")
    message = to_message(decode(read_body()))
    if message.is_request:
        answer_on_stream(runtime, message, principal, session)
    else:
        notice(message, session.nonce)
    return accepted()


def answer_on_stream(runtime: McpRuntime, message: Message, principal: Principal, session: Session) -> None:
    stream_id = session.id
    context = call_context(principal, sse_version(runtime, session), message, transport="sse")
    context.notify = lambda note: runtime.bus.deliver(stream_id, note)
    with runtime.inflight.running(session.nonce, message.id, context.cancelled):
        reply = runtime.engine.answer(message, context)[1]
    if message.method == "initialize" and "result" in reply:
        negotiated = reply["result"]["protocolVersion"]
        runtime.store.set(SSE_VERSION_PREFIX + stream_id, negotiated.encode(), ttl=runtime.lifetime)
    runtime.bus.deliver(stream_id, reply)


def sse_version(runtime: McpRuntime, session: Session) -> str:
    """The header's legacy revision, else the one `initialize` settled on, else the stream's own."""
    header = header_version(request.headers)
    if header in LEGACY_VERSIONS:
        return header
    stored = runtime.store.get(SSE_VERSION_PREFIX + session.id)
    return stored.decode() if stored else session.version


# --- WebSocket: /mcp/ws, subprotocol `mcp`, one JSON-RPC message per text frame ----------------------


@sock.route("/mcp/ws", bp=bp)
def websocket(ws: Any) -> None:
    runtime = mcp_runtime()
    connection = WebSocketConnection(ws, g.mcp_principal, runtime, g.mcp_selection)
    connection.serve(g.mcp_hold.beat)


class WebSocketConnection:
    """One WebSocket: requests run on their own threads so `notifications/cancelled` can reach them.
    Each request counts against the rate limits (the upgrade's own count pays for the first)."""

    def __init__(self, ws: Any, principal: Principal, runtime: McpRuntime, selection: Selection) -> None:
        self.ws = ws
        self.principal = principal
        self.selection = selection
        self.runtime = runtime
        self.scope = uuid.uuid4().hex
        self.version = BATCH_VERSION
        self._send_lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(WS_CONCURRENT_REQUESTS)
        self.budget = CallBudget(prepaid=1)

    def send(self, message: dict[str, Any]) -> None:
        with self._send_lock:
            self.ws.send(json_codec.encode(message).decode())

    def serve(self, beat: Callable[[], bool]) -> None:
        for text in held_frames(self.ws, self.runtime.keepalive, self.runtime.lifetime, beat):
            try:
                message = to_message(decode(text))
            except RpcError as exc:
                self.send(exc.to_message())
                continue
            self.dispatch(message)

    def dispatch(self, message: Message) -> None:
        if not message.is_request:
            notice(message, self.scope)
            return
        refusal = self.budget.refusal(message.id)
        if refusal is not None:
            self.send(refusal)
            return
        self._slots.acquire()
        threading.Thread(target=copy_current_request_context(self.answer), args=(message,), daemon=True).start()

    def answer(self, message: Message) -> None:
        try:
            context = call_context(self.principal, self.version, message, "websocket", self.selection)
            context.notify = self.send
            with self.runtime.inflight.running(self.scope, message.id, context.cancelled):
                reply = self.runtime.engine.answer(message, context)[1]
            if message.method == "initialize" and "result" in reply:
                self.version = reply["result"]["protocolVersion"]
            self.send(reply)
        finally:
            self._slots.release()


def held_frames(ws: Any, keepalive: float, lifetime: float, beat: Callable[[], bool]) -> Any:
    """Text frames until the client closes, the lifetime ends or `beat` says the place was lost."""
    deadline = threading.Event()
    timer = threading.Timer(lifetime, deadline.set)
    timer.daemon = True
    timer.start()
    try:
        while not deadline.is_set() and ws.connected:
            frame = ws.receive(timeout=keepalive)
            if not beat():
                return
            if frame is not None:
                yield frame
    finally:
        timer.cancel()


# --- Plain JSON: GET /mcp/tools (no auth) and POST /mcp/tool/call -----------------------------------


@bp.get("/mcp/tools")
def list_tools() -> Response:
    """The tools served (narrowed like tools/list by ?toolsets= / ?readonly=) and every toolset's tool count."""
    tools = mcp_runtime().engine.tools
    selection = http_selection()
    body: dict[str, Any] = {"toolsets": tools.toolsets(), "tools": tools.public_definitions(LATEST_LEGACY, selection)}
    if selection.narrows:
        body["selection"] = selection.describe()
    return jsonify(body)


@bp.post("/mcp/tool/call")
def call_tool() -> Response:
    """`{"tool", "arguments"}` → the tool result as JSON, with the HTTP status its outcome has
    (app/outcomes.py REST_STATUS); same execution path as every transport."""
    principal = authenticate()
    try:
        body = json_codec.decode(read_body())
    except json_codec.TooDeeplyNested as exc:
        raise BadRequest(f"The body is refused: {exc}.") from None
    except ValueError:
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("tool"), str):
        raise BadRequest('Send JSON {"tool": "<name>", "arguments": {...}}.')
    arguments = body.get("arguments") or {}
    if not isinstance(arguments, dict):
        raise BadRequest("arguments must be a JSON object.")
    context = CallContext(principal, LATEST_LEGACY, request_id=current_request_id(),
                          correlation_id=request.environ.get(CORRELATION_ENVIRON), transport="rest",
                          selection=http_selection())
    try:
        result = mcp_runtime().engine.tools.call_result(principal, body["tool"], arguments, context)
    except UnknownTool as exc:
        return rest_tool_response(tool_error(NotFound(str(exc))), "unknown_tool", is_error=True)
    return rest_tool_response(result.to_mcp(LATEST_LEGACY), result.status, result.is_error)
