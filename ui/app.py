"""The staff chat page: a gr.Blocks app wired to ChatHandlers, and how it is served."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from rag.answering.query import MAX_QUESTION_CHARS
from rag.config import ServeSettings
from ui.handlers import ANY_DOC, ANY_REGION, ChatHandlers, Message, Turn
from ui.page import COPY_JS, I18N, PAGE_CSS, PAGE_JS
from ui.render import render_sources

if TYPE_CHECKING:
    import gradio as gr

# Questions answered at once (more wait in gradio's queue). Answering is CPU-bound,
# so about the number of cores; `policyqa serve --concurrency N` changes it.
ASK_CONCURRENCY = 2
# The question box takes a little more than a question may hold, so an over-long paste
# gets the explanation (问题共 N 字…) instead of being cut silently at the limit.
INPUT_MAX_CHARS = 2 * MAX_QUESTION_CHARS
EXAMPLES = (
    "新乡高新区的氢能目标是什么",
    "新乡高新区的四大主导产业是什么?",
    "黄埔区“十四五”期间要形成哪些千亿级以上的产业集群?",
    "河源高新区“一区四园”包括哪几个园区?",
)
FONTS = ["system-ui", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "sans-serif"]
SIGN_IN_MESSAGE = "请使用管理员分配的账号登录。连续多次输入错误后，需要等待一段时间才能再试。"
# gradio keeps per-event statistics for its monitoring page (off here): keep few, and
# summarize them rarely (the summary builds a pandas table of all of them every time).
GRADIO_ENV = {"GRADIO_ANALYTICS_MAX_EVENTS": "100", "GRADIO_ANALYTICS_CACHE_FREQUENCY": "1000000"}


def build_app(
    handlers: ChatHandlers,
    examples: Sequence[str] = EXAMPLES,
    concurrency: int = ASK_CONCURRENCY,
) -> gr.Blocks:
    """The page: filters, chat and feedback on the left, the sources panel on the right."""
    # Lazy: gradio takes seconds to import; only `policyqa serve` and its tests need it.
    import gradio as gr

    with gr.Blocks(title="政策文件问答", analytics_enabled=False) as demo:
        gr.Markdown("## 政策文件问答\n答案的每一句都标注出处 [n]，原文见右侧。")
        status = gr.Markdown(handlers.status_line(), elem_id="pq-status")
        turn = gr.State(None)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                with gr.Row():
                    region = gr.Dropdown(
                        handlers.region_choices(), value=ANY_REGION, label="地区",
                        elem_id="pq-region",
                    )  # fmt: skip
                    doc = gr.Dropdown(
                        handlers.doc_choices(), value=ANY_DOC, label="文件", elem_id="pq-doc"
                    )
                # No label over the messages; page script keeps a new answer's start in view.
                chatbot = gr.Chatbot(
                    label="对话", show_label=False, height=480, elem_id="pq-chat",
                    latex_delimiters=[], buttons=["copy"], autoscroll=False,
                )  # fmt: skip
                with gr.Row():
                    question = gr.Textbox(
                        label="问题", placeholder="输入问题，例如：新乡高新区的氢能目标是什么",
                        show_label=False, scale=5, elem_id="pq-question",
                        max_length=INPUT_MAX_CHARS,
                    )  # fmt: skip
                    send = gr.Button("提问", variant="primary", scale=1, elem_id="pq-send")
                gr.Examples([[q] for q in examples], inputs=[question], label="示例问题")
                with gr.Row():
                    up = gr.Button("有帮助", size="sm", elem_id="pq-up")
                    down = gr.Button("没帮助", size="sm", elem_id="pq-down")
                    copy = gr.Button("复制答案与出处", size="sm", elem_id="pq-copy")
                    clear = gr.Button("清空对话", size="sm", elem_id="pq-clear")
                note = gr.Markdown(elem_id="pq-note")
                copy_box = gr.Textbox(visible="hidden", label="复制内容", elem_id="pq-copy-text")
            with gr.Column(scale=2):
                gr.Markdown("### 出处")
                # js_on_load=None: no click handler on the panel, it only shows text.
                sources = gr.HTML(
                    render_sources(None, []), elem_id="pq-sources", js_on_load=None,
                    max_height=760, autoscroll=False,
                )  # fmt: skip

        gr.on(
            [question.submit, send.click],
            _respond_fn(handlers),
            inputs=[question, chatbot, region, doc, turn],
            outputs=[question, chatbot, sources, copy_box, note, status, turn],
            api_name="ask",
            concurrency_limit=concurrency,
            show_progress="hidden",  # the chat shows 正在检索… itself
        )
        region.change(
            lambda r: gr.Dropdown(choices=handlers.doc_choices(r), value=ANY_DOC),
            inputs=[region], outputs=[doc], api_visibility="private", show_progress="hidden",
        )  # fmt: skip
        demo.load(
            lambda: (
                handlers.status_line(),
                gr.Dropdown(choices=handlers.region_choices(), value=ANY_REGION),
                gr.Dropdown(choices=handlers.doc_choices(), value=ANY_DOC),
            ),
            outputs=[status, region, doc], api_visibility="private", show_progress="hidden",
        )  # fmt: skip
        for button, rating in ((up, "up"), (down, "down")):
            button.click(
                _rate_fn(handlers, rating), [turn], [note], api_visibility="private",
                show_progress="hidden",
            )  # fmt: skip
        copy.click(None, [copy_box], None, js=COPY_JS, api_visibility="private")
        clear.click(
            lambda: ([], render_sources(None, []), "", None, ""),
            outputs=[chatbot, sources, copy_box, turn, note], api_visibility="private",
            show_progress="hidden",
        )  # fmt: skip
    return demo


def _respond_fn(handlers: ChatHandlers) -> Any:
    """The chat event: clears the textbox and streams each Reply step into the page."""

    def respond(
        message: str, history: list[Message], region: str, doc: str, turn: Turn | None
    ) -> Iterator[tuple[Any, ...]]:
        for reply in handlers.respond(message, history, region, doc, turn):
            yield "", reply.history, reply.sources, reply.copy, reply.note, reply.status, reply.turn

    return respond


def _rate_fn(handlers: ChatHandlers, rating: str) -> Any:
    """A 有帮助/没帮助 click: logs the rating with the signed-in user's name, if any."""
    import gradio as gr

    def rate(turn: Turn | None, request: Any) -> str:
        return handlers.rate(rating, turn, getattr(request, "username", None))

    # gradio injects the request by the parameter's annotation, resolved with
    # typing.get_type_hints: a nested function's string annotation would not resolve.
    rate.__annotations__ = {"turn": Any, "request": gr.Request, "return": str}
    return rate


def launch(
    demo: gr.Blocks,
    *,
    host: str = "127.0.0.1",
    port: int = 7860,
    auth: Any = None,
    block: bool = True,
    limits: ServeSettings | None = None,
) -> str:
    """Serve the app and return its local URL; with `block=False` it serves in the background.

    No `allowed_paths`, and gradio's file and upload routes closed (ui/guard.py): the
    app serves no file of this machine, so neither the documents folder nor the index
    is reachable except through cited passages.
    """
    # Lazy: see build_app.
    import gradio as gr
    from starlette.middleware import Middleware

    from ui.guard import Guard

    limits = limits or ServeSettings()
    for name, value in GRADIO_ENV.items():
        os.environ.setdefault(name, value)
    # System fonts: the default theme fetches web fonts, which staff networks may block.
    theme = gr.themes.Soft(font=FONTS, font_mono=["ui-monospace", "monospace"])
    demo.queue(default_concurrency_limit=1)
    guard = Middleware(Guard, max_body_bytes=limits.max_request_kb * 1024)
    _, local_url, _ = demo.launch(
        server_name=host,
        server_port=port,
        auth=auth,
        auth_message=SIGN_IN_MESSAGE if auth else None,
        prevent_thread_lock=not block,
        show_error=False,
        quiet=True,
        footer_links=[],
        run_history=False,
        ssr_mode=False,
        mcp_server=False,
        pwa=False,
        enable_monitoring=False,
        max_file_size="1mb",
        state_session_capacity=limits.max_sessions,
        app_kwargs={"middleware": [guard]},
        i18n=gr.I18n(**I18N),
        theme=theme,
        css=PAGE_CSS,
        js=PAGE_JS,
    )
    return local_url
