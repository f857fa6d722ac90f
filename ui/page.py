"""What the chat page adds to gradio's: styles, page script, copy script, Chinese labels.

Kept apart from ui/app.py so the page's behaviour in the browser (scrolling, copying)
is read in one place; tests/test_ui_browser.py checks it in Chromium.
"""

from __future__ import annotations

from ui.render import SOURCES_CSS

# The chat shows Markdown with document text quoted (\\[1\\], &lt;): what a copy control
# puts on the clipboard is the text as read. The inverse of render.escape_markdown.
_PLAIN_TEXT_JS = r"""
const pqPlainText = (text) => String(text)
  .replace(/\\([\\`*_\[\]#|~$.)+=\-])/g, "$1")
  .replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
"""

# Runs once when the page has loaded.
PAGE_JS = (
    "() => {"
    + _PLAIN_TEXT_JS
    + r"""
  const chat = document.querySelector("#pq-chat");
  if (!chat) { return; }
  // gradio names the message list and each message in English for screen readers.
  const log = chat.querySelector("[role=log]");
  if (log) { log.setAttribute("aria-label", "对话"); }
  const speakers = { "user's message: ": "提问：", "bot's message: ": "回答：" };
  const relabel = () => {
    for (const el of chat.querySelectorAll("[aria-label*=\"'s message: \"]")) {
      const label = el.getAttribute("aria-label");
      for (const [english, chinese] of Object.entries(speakers)) {
        if (label.startsWith(english)) {
          el.setAttribute("aria-label", chinese + label.slice(english.length));
        }
      }
    }
  };
  relabel();
  new MutationObserver(relabel).observe(chat, {
    childList: true, subtree: true, attributes: true, attributeFilter: ["aria-label"],
  });

  // 1. The copy icon under each chat bubble copies the bubble's Markdown source; hand the
  //    clipboard the plain text instead (through the clipboard API, or the copy event of
  //    the fallback used on plain-HTTP pages).
  let fromChat = false;
  document.addEventListener("pointerdown", (e) => {
    fromChat = Boolean(e.target.closest && e.target.closest("#pq-chat"));
  }, true);
  document.addEventListener("keydown", (e) => {
    fromChat = Boolean(e.target.closest && e.target.closest("#pq-chat"));
  }, true);
  const clip = navigator.clipboard;
  if (clip && clip.writeText) {
    const write = clip.writeText.bind(clip);
    clip.writeText = (text) => write(fromChat ? pqPlainText(text) : text);
  }
  document.addEventListener("copy", (e) => {
    const area = document.activeElement;
    if (fromChat && area && area.tagName === "TEXTAREA" && !chat.contains(area)) {
      e.clipboardData.setData("text/plain", pqPlainText(area.value));
      e.preventDefault();
    }
  }, true);

  // 2. A new question scrolls the chat so that it and the start of its answer are in
  //    view, and keeps it there while the answer grows below it; the chat does not
  //    follow the answer down. Scrolling by hand ends that.
  const box = chat.querySelector(".bubble-wrap, .panel-wrap");
  if (!box) { return; }
  const questions = () => chat.querySelectorAll(".message-row.user-row");
  let asked = questions().length;
  let pinned = null;
  const release = () => { pinned = null; };
  for (const kind of ["wheel", "touchmove", "keydown", "mousedown"]) {
    box.addEventListener(kind, release, { passive: true });
  }
  new MutationObserver(() => {
    const all = questions();
    if (all.length > asked) { pinned = all[all.length - 1]; }
    asked = all.length;
    if (pinned && box.contains(pinned)) {
      box.scrollTop += pinned.getBoundingClientRect().top - box.getBoundingClientRect().top - 4;
    }
  }).observe(chat, { childList: true, subtree: true, characterData: true });
}
"""
)

# 复制答案与出处: the prepared plain text (already clean) onto the clipboard.
COPY_JS = """
async (text) => {
  if (!text) { return; }
  try {
    await navigator.clipboard.writeText(text);
  } catch (err) {
    // Plain-HTTP pages on another host have no clipboard API: copy through a selection.
    const area = document.createElement("textarea");
    area.value = text;
    document.body.appendChild(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
}
"""

CHAT_CSS = """
/* gradio's own controls the page does not use, or has its own button for. */
#pq-chat .scroll-down-button-container { display: none !important; }
#pq-chat .icon-button-wrapper.top-panel { display: none !important; }
footer { display: none !important; }
/* Buttons carry words: no icon font or emoji is needed to read them. */
#pq-up, #pq-down, #pq-copy, #pq-clear { min-width: 6em; }
#pq-note { min-height: 1.5em; }
"""

PAGE_CSS = SOURCES_CSS + CHAT_CSS

# gradio's labels are shown in Chinese (ui/guard.py makes the page's locale zh-CN);
# these fill the labels gradio's own Chinese translation lacks.
_ZH = {
    "chatbot.copy_message": "复制这条消息",
    "chatbot.copied_message": "已复制",
    "chatbot.clear": "清空对话",
    "common.loading": "加载中",
    "login.incorrect_credentials": "用户名或密码不正确，或尝试次数过多，请稍后再试。",
}
I18N: dict[str, dict[str, str]] = {"zh-CN": _ZH, "zh": _ZH}
