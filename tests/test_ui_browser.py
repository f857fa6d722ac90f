"""The chat app in headless Chromium: ask, read highlighted sources, filter, rate, stay safe."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.test_ui_handlers import HUANGPU_REGION, SAMPLE_QUESTION, SECTION, build_ui_index

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 30_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, session_home: Path
) -> Iterator[dict[str, Any]]:
    """One app instance for the module, on a free port, with its feedback log."""
    from index.service import QAService
    from ui.app import build_app, launch
    from ui.feedback import FeedbackLog
    from ui.handlers import ChatHandlers

    folder = tmp_path_factory.mktemp("ui-browser")
    root, settings = build_ui_index(folder, session_home)
    feedback = FeedbackLog(folder / "data" / "feedback.jsonl")
    handlers = ChatHandlers(QAService.open(root, settings), feedback)
    demo = build_app(handlers)
    url = launch(demo, host="127.0.0.1", port=_free_port(), block=False)
    yield {"url": url, "feedback": feedback, "handlers": handlers, "docs": folder / "docs"}
    demo.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, server: dict[str, Any]) -> Iterator[Any]:
    """A fresh browser session on the app; collects any dialog a page script opens."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    tab = context.new_page()
    tab.set_default_timeout(WAIT_MS)
    tab.dialogs = []
    tab.on("dialog", lambda dialog: (tab.dialogs.append(dialog.message), dialog.dismiss()))
    tab.goto(server["url"])
    tab.wait_for_selector("#pq-question textarea")
    yield tab
    context.close()


def _ask(page: Any, question: str) -> None:
    """Type a question, send it, and wait until the answer bubble is complete."""
    answers = page.locator("#pq-chat .message.bot")
    before = answers.count()
    page.fill("#pq-question textarea", question)
    page.click("#pq-send")
    page.wait_for_function(
        """([n]) => {
            const bots = document.querySelectorAll('#pq-chat .message.bot');
            return bots.length > n && !bots[bots.length - 1].innerText.includes('正在检索');
        }""",
        arg=[before],
    )


def _last_answer(page: Any) -> str:
    return page.locator("#pq-chat .message.bot").last.inner_text()


def _choose(page: Any, dropdown: str, option: str) -> None:
    page.click(f"{dropdown} input")
    page.locator(f"{dropdown} [role=option][aria-label='{option}']").click()


def test_sample_question_shows_answer_marked_source_and_its_context(page: Any) -> None:
    status = page.inner_text("#pq-status [data-testid=markdown]")
    assert re.fullmatch(
        r"索引：文件数 3 · 段落数 \d+ · 构建时间 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d", status.strip()
    )
    page.get_by_role("button", name=SAMPLE_QUESTION, exact=True).click()  # an example
    page.wait_for_function(
        "([q]) => document.querySelector('#pq-question textarea').value === q",
        arg=[SAMPLE_QUESTION],
    )
    page.click("#pq-send")
    card = page.locator("#pq-sources .pq-source", has_text=SECTION).first
    card.wait_for()
    marked = card.locator(".pq-passage mark").all_inner_texts()
    assert any("重点布局氢能与燃料电池产业" in m for m in marked)
    answer = _last_answer(page)
    assert "重点布局氢能与燃料电池产业" in answer and re.search(r"\[\d\]", answer)
    assert "新乡高新区国民经济和社会发展第十四个五年规划纲要" in card.inner_text()
    assert "新乡高新区 · 2021-10-14 · 新开〔2021〕91号" in card.inner_text()
    assert f"第四章 建设实力高新，加快发展现代产业体系 › {SECTION}" in card.inner_text()

    context = card.locator(".pq-context-text")
    assert not context.is_visible()
    card.locator("summary", has_text="查看原文上下文").click()
    context.wait_for(state="visible")
    assert context.locator(".pq-here mark").first.is_visible()
    assert "生命科学和生物技术产业" in context.inner_text()


def test_copy_button_copies_answer_with_numbered_sources(page: Any) -> None:
    _ask(page, SAMPLE_QUESTION)
    page.click("#pq-copy")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "重点布局氢能与燃料电池产业" in copied.split("\n出处：\n")[0]
    assert (
        "\n出处：\n[1] 《新乡高新区国民经济和社会发展第十四个五年规划纲要》（2021-10-14）" in copied
    )


def test_thumbs_up_is_written_to_the_feedback_log(page: Any, server: dict[str, Any]) -> None:
    _ask(page, SAMPLE_QUESTION)
    page.click("#pq-up")
    page.wait_for_function("document.querySelector('#pq-note').innerText.includes('已记录')")
    records = [json.loads(line) for line in server["feedback"].path.read_text("utf-8").splitlines()]
    last = records[-1]
    assert last["rating"] == "up" and last["question"] == SAMPLE_QUESTION
    assert last["citations"][0]["doc"] == "xinxiang.txt" and last["time"]


def test_region_filter_limits_documents_and_answers(page: Any) -> None:
    _choose(page, "#pq-region", HUANGPU_REGION)
    page.click("#pq-doc input")
    options = page.locator("#pq-doc [role=option]")
    options.first.wait_for()
    labels = [options.nth(i).get_attribute("aria-label") for i in range(options.count())]
    assert labels == ["全部文件", "广州市黄埔区数字经济发展规划（2021-06-30）"]
    page.keyboard.press("Escape")
    _ask(page, "氢能产业的目标是什么")
    assert "加氢站10座" in _last_answer(page)
    sources = page.inner_text("#pq-sources")
    assert "广州市黄埔区数字经济发展规划" in sources and "新乡" not in sources


def test_document_markup_is_shown_as_text_and_never_runs(page: Any) -> None:
    _ask(page, "网页安全测试规划要求什么")
    page.locator("#pq-sources summary").last.click()
    literal = "<script>alert(1)</script>与<img src=x onerror=alert(1)>"
    assert literal in _last_answer(page)
    assert literal in page.inner_text("#pq-sources")
    assert page.locator("img[src='x']").count() == 0
    page.wait_for_timeout(300)  # give an injected handler time to fire, if there were one
    assert page.dialogs == []


def test_too_long_question_is_refused_in_one_line(page: Any) -> None:
    _ask(page, "氢" * 2001)
    answer = _last_answer(page)
    assert answer.startswith("无法检索：问题共 2001 字") and "2000" in answer
    assert "Traceback" not in page.inner_text("body")


def test_no_file_of_the_machine_is_served(server: dict[str, Any]) -> None:
    import httpx

    for path in (server["docs"] / "xinxiang.txt", Path("/etc/passwd")):
        for route in ("gradio_api/file=", "file="):
            response = httpx.get(f"{server['url']}{route}{path}")
            assert response.status_code in (403, 404), (route, path)
            assert "新开〔2021〕91号" not in response.text and "root:" not in response.text


def _sign_in(page: Any, user: str, password: str) -> None:
    # gradio's login form clears itself after a failed attempt: fill both fields each time.
    page.fill("input[data-testid=textbox]", user)
    page.fill("input[data-testid=password]", password)
    page.get_by_role("button", name="登录").click()


def test_sign_in_is_required_and_names_the_rater(
    browser: Any, server: dict[str, Any], tmp_path: Path
) -> None:
    from rag.config import ServeSettings
    from ui.app import build_app, launch
    from ui.auth import auth_line, read_auth_file
    from ui.signin import SignInGuard

    users = tmp_path / "users.txt"
    users.write_text(auth_line("alice", "correct horse", 1_000) + "\n", encoding="utf-8")
    demo = build_app(server["handlers"])
    guard = SignInGuard(read_auth_file(users), ServeSettings())
    url = launch(demo, port=_free_port(), auth=guard.check, block=False)
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        page.goto(url)
        page.get_by_role("button", name="登录").wait_for()
        assert _chrome_words(page) == []  # 登录, 用户名, 密码
        _sign_in(page, "alice", "wrong")
        page.locator(".creds").wait_for()
        assert "不正确" in page.inner_text(".creds")
        _sign_in(page, "alice", "correct horse")
        page.wait_for_selector("#pq-question textarea")
        _ask(page, SAMPLE_QUESTION)
        page.click("#pq-up")
        page.wait_for_function("document.querySelector('#pq-note').innerText.includes('已记录')")
    finally:
        context.close()
        demo.close()
    last = json.loads(server["feedback"].path.read_text("utf-8").splitlines()[-1])
    assert last["user"] == "alice" and last["rating"] == "up"


# Chinese throughout, and a chat that stays readable ------------------------------------

ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")


def _chrome_words(page: Any) -> list[str]:
    """English words among the page's visible text and its controls' labels and tooltips."""
    labels = page.evaluate(
        """() => [...document.querySelectorAll('button, [aria-label], [title]')]
            .filter(el => el.offsetParent !== null)
            .flatMap(el => [el.innerText, el.getAttribute('aria-label'), el.getAttribute('title')])
            .filter(Boolean)"""
    )
    return ENGLISH_WORD.findall(page.inner_text("body") + "\n" + "\n".join(labels))


def test_the_page_speaks_chinese_whatever_the_browser_prefers(page: Any) -> None:
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert _chrome_words(page) == []  # no "Use via API", "Clear", "Textbox" …
    _ask(page, SAMPLE_QUESTION)
    assert _chrome_words(page) == []  # the copy icons under the bubbles: 复制这条消息
    for button in ("#pq-send", "#pq-up", "#pq-down", "#pq-copy", "#pq-clear"):
        text = page.inner_text(button).strip()
        assert re.fullmatch(r"[\u4e00-\u9fff]+", text), (button, text)  # words, no emoji


def test_an_empty_question_shows_a_hint_and_no_bubble(page: Any) -> None:
    _ask(page, SAMPLE_QUESTION)
    bubbles = page.locator("#pq-chat .message-row").count()
    page.fill("#pq-question textarea", "   ")
    page.click("#pq-send")
    page.wait_for_function("document.querySelector('#pq-note').innerText.includes('请先输入问题')")
    assert page.locator("#pq-chat .message-row").count() == bubbles


def test_feedback_note_belongs_to_one_answer(page: Any) -> None:
    page.click("#pq-up")
    page.wait_for_function("document.querySelector('#pq-note').innerText.includes('还没有')")
    _ask(page, SAMPLE_QUESTION)
    assert page.inner_text("#pq-note").strip() == ""
    page.click("#pq-down")
    page.wait_for_function("document.querySelector('#pq-note').innerText.includes('已记录')")
    _ask(page, "氢能产业的目标是什么")
    assert page.inner_text("#pq-note").strip() == ""


def test_the_copy_icon_under_a_bubble_copies_plain_text(page: Any) -> None:
    _ask(page, SAMPLE_QUESTION)
    page.locator("#pq-chat .message-buttons-left button").last.click()
    page.wait_for_function("navigator.clipboard.readText().then(t => t.includes('[1]'))")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "\\" not in copied and "&lt;" not in copied
    assert "重点布局氢能与燃料电池产业。[1]" in copied and "\n出处：\n[1] 《" in copied


def test_markup_in_a_bubble_is_copied_as_it_reads(page: Any) -> None:
    _ask(page, "网页安全测试规划要求什么")
    page.locator("#pq-chat .message-buttons-left button").last.click()
    page.wait_for_function("navigator.clipboard.readText().then(t => t.includes('alert'))")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "<script>alert(1)</script>与<img src=x onerror=alert(1)>" in copied
    assert "\\" not in copied


def test_a_new_answer_is_shown_from_its_start(browser: Any, server: dict[str, Any]) -> None:
    context = browser.new_context(viewport={"width": 480, "height": 1000})
    try:
        tab = context.new_page()
        tab.set_default_timeout(WAIT_MS)
        tab.goto(server["url"])
        tab.wait_for_selector("#pq-question textarea")
        # Large type: each answer is taller than the chat, as long answers are on any
        # screen, with or without a CJK font installed.
        tab.add_style_tag(content="#pq-chat .message-row * { font-size: 40px !important; }")
        for _ in range(3):
            _ask(tab, SAMPLE_QUESTION)
        tab.wait_for_timeout(500)  # gradio would scroll to the end 300 ms after an update
        where = tab.evaluate(
            """() => {
                const box = document.querySelector('#pq-chat .bubble-wrap').getBoundingClientRect();
                const rows = [...document.querySelectorAll('#pq-chat .message-row')];
                const answer = rows[rows.length - 1].getBoundingClientRect();
                const question = rows[rows.length - 2].getBoundingClientRect();
                return {box: [box.top, box.bottom], answer: [answer.top, answer.bottom],
                        question: question.top};
            }"""
        )
        top, bottom = where["box"]
        assert where["answer"][1] - where["answer"][0] > bottom - top  # taller than the chat
        assert top - 1 <= where["question"] < bottom  # the question is in view …
        assert top <= where["answer"][0] < bottom  # … and the start of its answer
        scroll_arrow = tab.locator("#pq-chat .scroll-down-button-container")
        assert scroll_arrow.count() == 0 or not scroll_arrow.is_visible()
        assert tab.locator("#pq-chat [data-testid=block-label]").count() == 0
    finally:
        context.close()
