"""A running chat app picks up a newly published build between questions."""

from __future__ import annotations

import json
import logging
import shutil
import time
from pathlib import Path

import pytest

from index.build import build_index
from index.publish import CURRENT, MANIFEST, live_build_id, resolve_live
from index.service import QAService
from rag.config import Settings
from tests.test_ui_handlers import SAMPLE_QUESTION, build_ui_index
from ui.feedback import FeedbackLog
from ui.handlers import ChatHandlers
from ui.live import LiveService

WAIT_S = 60.0
ANOTHER = """发布日期:2023-05-01
洛阳高新区关于印发洛阳高新区氢能产业发展规划的通知
洛阳高新区氢能产业发展规划
第一章 发展目标
第一节 总体目标
到2025年，洛阳高新区建成加氢站8座，氢能产业产值突破100亿元。
"""


@pytest.fixture
def index(tmp_path: Path, session_home: Path) -> tuple[Path, Settings]:
    """A fresh index root per test: these tests publish into it."""
    return build_ui_index(tmp_path, session_home)


def _wait_for(condition: object, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _publish_with_another_document(root: Path, settings: Settings) -> None:
    docs = root.parent / "docs"
    (docs / "luoyang.txt").write_text(ANOTHER, encoding="utf-8")
    build_index(docs, root, settings)


def test_a_new_build_answers_the_next_question(index: tuple[Path, Settings]) -> None:
    root, settings = index
    live = LiveService(root, settings, check_every_s=0.0)
    handlers = ChatHandlers(live, FeedbackLog(root.parent / "f.jsonl"))
    first = handlers.service
    assert handlers.status_line().startswith("索引：文件数 3 ")
    old_id = live_build_id(root)

    _publish_with_another_document(root, settings)
    assert live_build_id(root) != old_id
    _wait_for(lambda: handlers.service is not first, "the new build to go live")

    assert handlers.status_line().startswith("索引：文件数 4 ")
    assert "洛阳高新区" in handlers.region_choices()
    last = list(handlers.respond("洛阳高新区的加氢站建设目标是什么", []))[-1]
    assert last.status.startswith("索引：文件数 4 ")
    assert last.turn is not None
    assert {c.hit.chunk.doc for c in last.turn.answer.citations} == {"luoyang.txt"}


def test_an_answer_in_flight_finishes_on_the_build_it_started_with(
    index: tuple[Path, Settings],
) -> None:
    root, settings = index
    live = LiveService(root, settings, check_every_s=0.0)
    handlers = ChatHandlers(live, FeedbackLog(root.parent / "f.jsonl"))
    first = handlers.service
    replies = handlers.respond(SAMPLE_QUESTION, [])
    pending = next(replies)  # the answer has started: its build is chosen
    assert pending.status.startswith("索引：文件数 3 ")

    _publish_with_another_document(root, settings)
    _wait_for(lambda: handlers.service is not first, "the new build to go live")

    rest = list(replies)
    assert rest and all(r.status.startswith("索引：文件数 3 ") for r in rest)
    assert rest[-1].turn is not None and rest[-1].turn.answer.citations
    assert handlers.status_line().startswith("索引：文件数 4 ")


def test_a_build_that_cannot_be_opened_leaves_the_old_one_serving(
    index: tuple[Path, Settings], caplog: pytest.LogCaptureFixture
) -> None:
    root, settings = index
    live = LiveService(root, settings, check_every_s=0.0)
    first = live.current()
    broken = root / "builds" / "20990101T000000000000-broken"
    shutil.copytree(resolve_live(root), broken)
    manifest = json.loads((broken / MANIFEST).read_text(encoding="utf-8"))
    manifest["counts"]["chunks"] += 1  # disagrees with the files: opening refuses it
    (broken / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="ui.live"):
        (root / CURRENT).write_text(broken.name + "\n", encoding="utf-8")
        _wait_for(
            lambda: live.current() is first and "could not be opened" in caplog.text,
            "the failed open to be logged",
        )
        live.check()  # the same broken build is not retried
    assert live.current() is first
    assert len([r for r in caplog.records if "could not be opened" in r.message]) == 1


def test_the_watcher_opens_a_new_build_while_nobody_asks(index: tuple[Path, Settings]) -> None:
    root, settings = index
    opened: list[Path] = []

    def opener(path: Path, given: Settings) -> QAService:
        opened.append(path)
        return QAService.open(path, given)

    live = LiveService(root, settings, opener=opener, check_every_s=0.05)
    live.watch()
    try:
        _publish_with_another_document(root, settings)
        _wait_for(lambda: len(opened) == 2, "the watcher to open the new build")
        _wait_for(lambda: len(live.current().docs) == 4, "the new build to go live")
    finally:
        live.close()
