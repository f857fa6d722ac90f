"""A real local OpenAI-compatible chat-completions server, scriptable per test.

Serves POST /v1/chat/completions (and /chat/completions, as llama.cpp does) on
127.0.0.1 in a daemon thread, streaming server-sent events over chunked
transfer encoding exactly as the OpenAI API does, and records every request.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

log = logging.getLogger(__name__)

Messages = list[dict[str, str]]
ROUTES = ("/v1/chat/completions", "/chat/completions")


@dataclass
class Behaviour:
    """What the server does with the next requests; tests change it freely."""

    reply: str = "未在已收录的文件中找到相关内容。"
    reply_fn: Callable[[Messages], str] | None = None  # computes the reply from the prompt
    echo_cite: bool = False  # reply with each passage's first sentence, cited [n]
    status: int = 200  # anything else: an OpenAI-style error JSON with this status
    error_message: str = "The server had an error while processing your request."
    delay_first_s: float = 0.0  # before the response starts
    delay_between_s: float = 0.0  # between stream chunks
    chunk_chars: int = 3  # characters of content per stream chunk
    malformed: bool = False  # broken JSON in the stream / the reply body
    cut_off: bool = False  # stream ends without a finish_reason or [DONE]


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class LLMServer:
    """Context manager running the server; `base_url` is what a client is given."""

    behaviour: Behaviour = field(default_factory=Behaviour)
    api_key: str = ""  # when set, requests must carry `Authorization: Bearer <key>`
    requests: list[RecordedRequest] = field(default_factory=list)
    disconnects: int = 0  # responses the client abandoned (timeouts)

    def __post_init__(self) -> None:
        self._closing = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._httpd.app = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def root_url(self) -> str:
        """http://127.0.0.1:PORT, the server's root."""
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def base_url(self) -> str:
        """The OpenAI-style base URL, ending in /v1."""
        return f"{self.root_url}/v1"

    def __enter__(self) -> LLMServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()  # wakes handlers sleeping in a delay
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def pause(self, seconds: float) -> None:
        """Sleep that ends early when the server closes."""
        if seconds > 0:
            self._closing.wait(seconds)

    def reply_for(self, messages: Messages) -> str:
        """The reply text the current behaviour gives for `messages`."""
        if self.behaviour.reply_fn is not None:
            return self.behaviour.reply_fn(messages)
        if self.behaviour.echo_cite:
            return echo_cite_reply(messages)
        return self.behaviour.reply


def echo_cite_reply(messages: Messages) -> str:
    """Each passage's first sentence, verbatim, cited with its [n]."""
    user = messages[-1]["content"]
    sentences = []
    for m in re.finditer(r"^\[(\d+)\] .*?\n原文：(.+?)[。\n]", user, re.MULTILINE | re.DOTALL):
        sentences.append(f"{m[2]}[{m[1]}]。")
    return "".join(sentences)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    @property
    def app(self) -> LLMServer:
        return self.server.app  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("llm_server: " + format, *args)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        body = json.loads(raw) if raw else {}
        self.app.requests.append(RecordedRequest(self.path, dict(self.headers.items()), body))
        try:
            self._respond(body)
        except (BrokenPipeError, ConnectionResetError):
            self.app.disconnects += 1
            self.close_connection = True

    def _respond(self, body: dict[str, Any]) -> None:
        behaviour = self.app.behaviour
        if self.path not in ROUTES:
            return self._send_json(404, _error(f"Unknown route {self.path}", "not_found"))
        if self.app.api_key and self.headers.get("Authorization") != f"Bearer {self.app.api_key}":
            return self._send_json(401, _error("Incorrect API key provided.", "invalid_api_key"))
        self.app.pause(behaviour.delay_first_s)
        if behaviour.status != 200:
            return self._send_json(
                behaviour.status, _error(behaviour.error_message, "server_error")
            )
        text = self.app.reply_for(body.get("messages", []))
        if body.get("stream"):
            return self._send_stream(text, body.get("model", ""), behaviour)
        if behaviour.malformed:
            return self._send_bytes(200, b'{"choices": [', "application/json")
        return self._send_json(200, _completion(text, body.get("model", "")))

    def _send_json(self, status: int, obj: dict[str, Any]) -> None:
        self._send_bytes(status, json.dumps(obj, ensure_ascii=False).encode(), "application/json")

    def _send_bytes(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send_stream(self, text: str, model: str, behaviour: Behaviour) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        # Clients stop reading at [DONE] and drop the connection; do not wait for another request.
        self.send_header("Connection", "close")
        self.end_headers()
        step = max(behaviour.chunk_chars, 1)
        deltas = [{"role": "assistant", "content": ""}]
        deltas += [{"content": text[i : i + step]} for i in range(0, len(text), step)]
        for i, delta in enumerate(deltas):
            if i:
                self.app.pause(behaviour.delay_between_s)
            self._write_event(json.dumps(_chunk(model, delta, None), ensure_ascii=False))
            if behaviour.malformed:
                self._write_event('{"choices": [{"delta": {"content": "未完')
        if not behaviour.cut_off:
            self._write_event(json.dumps(_chunk(model, {}, "stop")))
            self._write_event("[DONE]")
        self._write_raw(b"0\r\n\r\n")

    def _write_event(self, data: str) -> None:
        payload = f"data: {data}\n\n".encode()
        self._write_raw(f"{len(payload):x}\r\n".encode() + payload + b"\r\n")

    def _write_raw(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()


def _chunk(model: str, delta: dict[str, str], finish: str | None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def _completion(text: str, model: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


def _error(message: str, code: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "invalid_request_error", "code": code}}
