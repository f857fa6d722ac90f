"""A minimal OpenAI-compatible chat-completions client with a hard deadline per reply."""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

from rag.answering.llm import LLMError, Message
from rag.config import LLMSettings

log = logging.getLogger(__name__)

_MAX_ERROR_CHARS = 200


class ChatClient:
    """Talks to `{base_url}/chat/completions` (OpenAI, vLLM, llama.cpp, Ollama, ...).

    `base_url` is everything before `/chat/completions`, so it usually ends in
    `/v1` (`http://127.0.0.1:8000/v1`); a server that serves the route at its
    root is reached with the bare host. `timeout_s` bounds the whole reply, not
    each read: a server that trickles tokens cannot hold the caller longer.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str = "",
        timeout_s: float = 60.0,
        temperature: float = 0.0,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"llm.base_url must start with http:// or https://, got {base_url!r}")
        if not model:
            raise ValueError("llm.model is empty: name the model the endpoint should run")
        if timeout_s <= 0:
            raise ValueError(f"llm.timeout_s must be positive, got {timeout_s}")
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.api_key = api_key
        self.timeout_s = timeout_s
        self.temperature = temperature

    @classmethod
    def from_settings(cls, settings: LLMSettings) -> ChatClient:
        """Build a client from the `[llm]` settings group."""
        return cls(
            settings.base_url,
            settings.model,
            settings.api_key,
            settings.timeout_s,
            settings.temperature,
        )

    def stream(self, messages: Sequence[Message]) -> Iterator[str]:
        """Yield the reply's content deltas as they arrive; raise LLMError on failure."""
        return self._deadline_events(messages, stream=True)

    def complete(self, messages: Sequence[Message]) -> str:
        """Return the whole reply in one piece (non-streaming request)."""
        return "".join(self._deadline_events(messages, stream=False))

    def _deadline_events(self, messages: Sequence[Message], *, stream: bool) -> Iterator[str]:
        # httpx timeouts apply per read, so the request runs in a worker thread
        # and this side waits on a queue with whatever is left of the deadline.
        deadline = time.monotonic() + self.timeout_s
        events: queue.Queue[tuple[str, Any]] = queue.Queue()
        stop = threading.Event()
        worker = threading.Thread(
            target=self._pump, args=(list(messages), stream, events, stop), daemon=True
        )
        worker.start()
        try:
            while True:
                remaining = deadline - time.monotonic()
                try:
                    kind, value = events.get(timeout=max(remaining, 0.0))
                except queue.Empty:
                    raise LLMError(
                        f"no complete reply within {self.timeout_s:g} s from {self.url}"
                    ) from None
                if kind == "delta":
                    yield value
                elif kind == "error":
                    raise value
                else:
                    return
        finally:
            stop.set()

    def _pump(
        self,
        messages: list[Message],
        stream: bool,
        events: queue.Queue[tuple[str, Any]],
        stop: threading.Event,
    ) -> None:
        try:
            for delta in self._request(messages, stream, stop):
                events.put(("delta", delta))
            events.put(("done", None))
        except Exception as exc:  # the thread boundary: the caller re-raises it unchanged
            events.put(("error", exc))

    def _request(
        self, messages: list[Message], stream: bool, stop: threading.Event
    ) -> Iterator[str]:
        import httpx  # lazy: keeps `policyqa --help` free of the HTTP stack

        body = {
            "model": self.model,
            "messages": messages,
            "temperature": self.temperature,
            "stream": stream,
        }
        log.debug(
            "POST %s (model %s, %d messages, stream=%s)",
            self.url,
            self.model,
            len(messages),
            stream,
        )
        headers = {"Accept": "text/event-stream" if stream else "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        try:
            with (
                httpx.Client(timeout=httpx.Timeout(self.timeout_s)) as http,
                http.stream("POST", self.url, json=body, headers=headers) as response,
            ):
                if response.status_code != 200:
                    response.read()
                    raise LLMError(
                        f"HTTP {response.status_code}: {_reason(response.text)} ({self.url})"
                    )
                if stream:
                    yield from _sse_deltas(response.iter_lines(), stop)
                else:
                    response.read()
                    yield _message_content(response.text)
        except httpx.TimeoutException as exc:
            raise LLMError(
                f"timed out after {self.timeout_s:g} s ({type(exc).__name__}) at {self.url}"
            ) from exc
        except httpx.HTTPError as exc:
            raise LLMError(f"request failed: {type(exc).__name__}: {exc} ({self.url})") from exc


def _sse_deltas(lines: Iterator[str], stop: threading.Event) -> Iterator[str]:
    """Content deltas from server-sent events, up to `data: [DONE]`."""
    finished = False
    for line in lines:
        if stop.is_set():
            return
        if not line.startswith("data:"):
            continue  # blank separators, comments (": keep-alive"), event names
        data = line[len("data:") :].strip()
        if data == "[DONE]":
            return
        chunk = _parse_json(data, "stream chunk")
        choice = _first_choice(chunk)
        content = (choice.get("delta") or {}).get("content")
        if content:
            yield content
        finished = finished or choice.get("finish_reason") is not None
    if not finished:
        raise LLMError("stream ended before [DONE] or a finish_reason: the reply may be cut off")


def _message_content(text: str) -> str:
    """The assistant message of a non-streaming reply."""
    message = _first_choice(_parse_json(text, "reply")).get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, str):
        raise LLMError(f"malformed reply: choices[0].message.content missing in {text[:80]!r}")
    return content


def _parse_json(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LLMError(f"malformed {what}: not JSON ({exc.msg}) in {text[:80]!r}") from exc
    if not isinstance(value, dict):
        raise LLMError(f"malformed {what}: expected a JSON object, got {text[:80]!r}")
    return value


def _first_choice(obj: dict[str, Any]) -> dict[str, Any]:
    if "error" in obj:
        raise LLMError(f"server error: {_reason(json.dumps(obj, ensure_ascii=False))}")
    choices = obj.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise LLMError(
            f"malformed reply: no choices in {json.dumps(obj, ensure_ascii=False)[:80]!r}"
        )
    return choices[0]


def _reason(body: str) -> str:
    """The server's own error message when it sent OpenAI-style JSON, else the body's start."""
    try:
        obj = json.loads(body)
    except json.JSONDecodeError:
        return body.strip()[:_MAX_ERROR_CHARS] or "(empty body)"
    error = obj.get("error") if isinstance(obj, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return error["message"][:_MAX_ERROR_CHARS]
    if isinstance(error, str):
        return error[:_MAX_ERROR_CHARS]
    return body.strip()[:_MAX_ERROR_CHARS]
