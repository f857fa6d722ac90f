"""The chat server over real HTTP: limits, closed routes, a Chinese page, sign-in back-off."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from rag.config import ServeSettings
from tests.test_ui_handlers import SAMPLE_QUESTION, build_ui_index
from ui.handlers import ANY_DOC, ANY_REGION

LIMITS = replace(ServeSettings(), max_history_messages=6, max_history_chars=4000)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory, session_home: Path) -> Iterator[str]:
    from index.service import QAService
    from ui.app import build_app, launch
    from ui.feedback import FeedbackLog
    from ui.handlers import ChatHandlers

    folder = tmp_path_factory.mktemp("ui-server")
    root, settings = build_ui_index(folder, session_home)
    handlers = ChatHandlers(QAService.open(root, settings), FeedbackLog(folder / "f.jsonl"), LIMITS)
    demo = build_app(handlers)
    yield launch(demo, port=_free_port(), block=False, limits=LIMITS)
    demo.close()


def _ask(url: str, data: list[Any]) -> list[Any]:
    """The final outputs of one /ask call through gradio's REST API."""
    with httpx.Client(timeout=60) as http:
        queued = http.post(f"{url}gradio_api/call/ask", json={"data": data})
        assert queued.status_code == 200, queued.text
        event = ""
        with http.stream("GET", f"{url}gradio_api/call/ask/{queued.json()['event_id']}") as s:
            for line in s.iter_lines():
                if line.startswith("event:"):
                    event = line.removeprefix("event:").strip()
                elif line.startswith("data:") and event == "complete":
                    return list(json.loads(line.removeprefix("data:")))
                elif event == "error":
                    raise AssertionError(line)
    raise AssertionError("no result")


def test_the_page_is_chinese(url: str) -> None:
    page = httpx.get(url).text
    assert '<html\n\tlang="zh-CN"' in page or 'lang="zh-CN"' in page
    assert "Navigator.prototype, 'languages'" in page.split("</head>")[0]


@pytest.mark.parametrize(
    ("method", "route"),
    [
        ("POST", "gradio_api/upload"),
        ("POST", "upload"),
        ("GET", "gradio_api/upload_progress"),
        ("GET", "gradio_api/file=/etc/passwd"),
        ("GET", "file=/etc/passwd"),
        ("GET", "gradio_api/file/etc/passwd"),
        ("GET", "gradio_api/proxy=http://example.com"),
        ("GET", "monitoring"),
        ("GET", "gradio_api/runs"),
    ],
)
def test_upload_file_and_other_unused_routes_are_closed(url: str, method: str, route: str) -> None:
    files = {"files": ("big.txt", b"x" * 1024)} if method == "POST" else None
    response = httpx.request(method, f"{url}{route}", files=files)
    assert response.status_code == 404
    assert response.json() == {"detail": "此功能未开放。"}
    assert "root:" not in response.text


def test_an_oversized_request_is_refused_with_a_chinese_message(url: str) -> None:
    history = [{"role": "user", "content": "氢" * 100_000}]  # ~300 KB of UTF-8
    body = {"data": [SAMPLE_QUESTION, history, ANY_REGION, ANY_DOC]}
    response = httpx.post(f"{url}gradio_api/call/ask", json=body)
    assert response.status_code == 413
    assert response.json()["detail"].startswith("请求过大（超过 256 KB）")

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(40):
            yield b"x" * 10_000

    response = httpx.post(f"{url}gradio_api/call/ask", content=chunks())
    assert response.status_code == 413


def test_a_history_sent_by_a_client_is_cut_and_only_text_comes_back(url: str) -> None:
    def text(role: str, content: str) -> dict[str, Any]:  # gradio's message format
        return {"role": role, "content": [{"type": "text", "text": content}]}

    history: list[dict[str, Any]] = []
    for i in range(20):
        history += [text("user", f"第{i}问"), text("assistant", "答" * 500)]
    outputs = _ask(url, [SAMPLE_QUESTION, history, ANY_REGION, ANY_DOC])
    shown = next(o for o in outputs if isinstance(o, list))
    assert len(shown) <= LIMITS.max_history_messages + 2
    assert shown[0]["role"] == "user"
    assert "重点布局氢能与燃料电池产业" in json.dumps(shown[-1], ensure_ascii=False)
    # A file in the history is refused (the app has none), never read or echoed.
    history.append({"role": "user", "content": [{"type": "file", "file": {"path": "/etc/hosts"}}]})
    with pytest.raises(AssertionError, match="error"):
        _ask(url, [SAMPLE_QUESTION, history, ANY_REGION, ANY_DOC])


def test_sign_in_backs_off_after_failures(tmp_path: Path, session_home: Path, url: str) -> None:
    from index.service import QAService
    from ui.app import build_app, launch
    from ui.auth import hash_password
    from ui.feedback import FeedbackLog
    from ui.handlers import ChatHandlers
    from ui.signin import SignInGuard

    root, settings = build_ui_index(tmp_path, session_home)
    limits = replace(ServeSettings(), signin_max_failures=2, signin_backoff_s=60.0)
    guard = SignInGuard({"alice": hash_password("pw", 1_000)}, limits)
    handlers = ChatHandlers(QAService.open(root, settings), FeedbackLog(tmp_path / "f.jsonl"))
    demo = build_app(handlers)
    signed = launch(demo, port=_free_port(), auth=guard.check, block=False, limits=limits)
    try:

        def login(user: str, password: str) -> int:
            form = {"username": user, "password": password}
            return httpx.post(f"{signed}login", data=form).status_code

        assert login("alice", "no") == 400 and login("alice", "nope") == 400
        started = time.monotonic()
        assert login("alice", "pw") == 400  # blocked: the right password waits too
        assert login("bob", "pw") == 400  # and this address is blocked for any name
        assert time.monotonic() - started < 2.0
        assert httpx.get(f"{signed}config").status_code in (401, 403)
    finally:
        demo.close()
