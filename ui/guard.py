"""An ASGI layer in front of the chat app: what gradio serves but this app must not.

- Request bodies are limited (the page sends a question and a bounded history; a
  20 MB history or upload is refused with HTTP 413 and a Chinese message).
- gradio's upload, file, proxy, recording, run-history and monitoring routes are
  closed: the app has no upload and serves no file of the machine.
- The page is served as Chinese (`lang="zh-CN"`, and the browser locale gradio's
  own labels follow), whatever language the browser prefers.
- The client's address is made available to the sign-in check (per-address limits).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from contextvars import ContextVar
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CLIENT_ADDRESS: ContextVar[str] = ContextVar("policyqa_client_address", default="")

API_PREFIX = "/gradio_api"
# First path segments (after an optional /gradio_api) that stay closed.
CLOSED = re.compile(
    r"^/(upload|upload_progress|file=|file/|proxy=|stream/|process_recording|run-history"
    r"|runs|monitoring|profiling|vibe-|undo-vibe-edit|dev/)"
)
BODY_METHODS = {"POST", "PUT", "PATCH"}
# Runs before gradio's scripts: its labels follow the browser locale, which becomes Chinese.
LOCALE_SCRIPT = (
    "<script>(() => { const langs = ['zh-CN', 'zh']; try {"
    " Object.defineProperty(Navigator.prototype, 'languages', {get: () => langs});"
    " Object.defineProperty(Navigator.prototype, 'language', {get: () => langs[0]});"
    " } catch (err) { /* keep the browser's own */ } })();</script>"
)
TOO_LARGE = "请求过大（超过 {kb} KB）。请缩短问题，或点“清空对话”后重新提问。"
CLOSED_ROUTE = "此功能未开放。"


class Guard:
    """Pure ASGI middleware: body limit, closed routes, Chinese page, client address."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        """Wrap `app`; bodies longer than `max_body_bytes` are refused."""
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check one request and pass it on, or answer it here."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        token = CLIENT_ADDRESS.set(str(client[0]) if client else "")
        try:
            await self._handle(scope, receive, send)
        finally:
            CLIENT_ADDRESS.reset(token)

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        route = path[len(API_PREFIX) :] if path.startswith(API_PREFIX + "/") else path
        if CLOSED.match(route):
            await _refuse(send, 404, CLOSED_ROUTE)
            return
        if scope.get("method") in BODY_METHODS:
            body = await self._read_body(scope, receive)
            if body is None:
                await _refuse(send, 413, TOO_LARGE.format(kb=self.max_body_bytes // 1024))
                return
            receive = _replay(body, receive)
        if scope.get("method") == "GET" and route == "/":
            send = _chinese_page(send)
        await self.app(scope, receive, send)

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes | None:
        """The whole body, or None when it is longer than the limit (declared or sent)."""
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            return None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away; the app sees an empty body
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: wait for the disconnect, as servers do

    return replay


def _chinese_page(send: Send) -> Send:
    """Rewrite the HTML page: lang="zh-CN" and the locale script at the start of <head>."""
    start: Message | None = None
    chunks: list[bytes] = []

    async def rewrite(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            headers = dict(message.get("headers", []))
            if not headers.get(b"content-type", b"").startswith(b"text/html"):
                await send(message)
                return
            start = message
            return
        if start is None:
            await send(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        page = b"".join(chunks).decode("utf-8")
        page = page.replace('lang="en"', 'lang="zh-CN"', 1).replace(
            "<head>", "<head>" + LOCALE_SCRIPT, 1
        )
        body = page.encode("utf-8")
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode("ascii")))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})

    return rewrite


async def _refuse(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode("utf-8")
    headers = [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(body)).encode("ascii")),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
