"""Find web boilerplate and tables of contents to skip, without ever rewriting the text.

Cleaning only reports spans of whole lines (each with its newline) that chunking must
leave out, so every kept character keeps its offset in the source text. All rules are
generic patterns seen on Chinese government web pages, never tied to one site or file.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

Span = tuple[int, int]

_SPACE = " \t\u00a0\u3000\u200b\ufeff"
_BULLETS = "•·●▪■□◆◇►▶"

# Whole lines made only of page-tool words (听全文, 分享到, 字体【大 中 小】, 打印/关闭 …).
_UI_WORD = (
    r"听全文|朗读|分享到|分享|打印本页|打印|关闭窗口|关闭本页|关闭|加入收藏|收藏本页|收藏|"
    r"返回顶部|返回列表|返回|字体|字号|默认|设为首页|无障碍|长者模式|我要纠错|纠错|"
    r"上一篇|下一篇|相关附件|相关新闻|相关链接|相关文章|相关阅读|相关稿件|相关文件|"
    r"网站地图|联系我们|保护视力色|视力保护色|微信|微博|QQ空间"
)
_UI_LINE = re.compile(rf"^(?:{_UI_WORD}|[大中小]|[【】\[\]()（）|/·:：\-\s])+$")
_UI_WORD_RE = re.compile(_UI_WORD)
_NAV = re.compile(r"^(?:当前|您的|你的|所在)?位置\s*[:：]|^首页\s*[>»›]")
_SCAN = re.compile(r"^扫一扫")
_COUNTER = re.compile(
    r"(?:访问量|访问次数|浏览量|浏览次数|阅读量|阅读次数|阅读数|点击量|点击数|访问人数|浏览人次)"
    r"\s*[:：]?\s*\d+"
)
_FOOTER = re.compile(
    r"版权所有|copyright|©|ICP\s*备|ICP证|公网安备|网站标识码|网站地图|网站声明|隐私声明|"
    r"(?:^|\s)(?:主办|承办|协办)(?:单位)?\s*[:：]|技术支持\s*[:：]|"
    r"建议使用.{0,30}浏览器|最佳分辨率",
    re.IGNORECASE,
)
# Labels of page metadata (索引号, 发布机构, 来源, 时间 …): the label may be letter-spaced.
_META_LABELS = (
    "索引号",
    "主题分类",
    "体裁分类",
    "组配分类",
    "分类",
    "发布机构",
    "发文机关",
    "发文单位",
    "发布单位",
    "成文日期",
    "发文日期",
    "发布日期",
    "发布时间",
    "生成日期",
    "实施日期",
    "发文字号",
    "文号",
    "效力状态",
    "有效性",
    "标题",
    "信息来源",
    "文章来源",
    "来源",
    "时间",
    "日期",
    "作者",
    "责任编辑",
    "编辑",
    "主题词",
    "公开方式",
    "公开范围",
)
_META_LINE = re.compile(
    r"^(?:" + "|".join(r"\s*".join(label) for label in _META_LABELS) + r")\s*[:：]"
)
_BARE_DATE = re.compile(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_CONTENT_CHAR = re.compile(r"[\w\u4e00-\u9fff]")
_NUMBERED_HEADING = re.compile(
    r"^(?:第[一二三四五六七八九十百零〇两\d]+[章节篇部条]"
    r"|[一二三四五六七八九十]+[、.．]"
    r"|[（(][一二三四五六七八九十]+[)）]"
    r"|\d{1,2}[.、．](?!\d))"
)
_TOC_TITLE = {"目录", "目次"}
_PAGE_NUMBER = re.compile(r"(?:[.…·．\s]{2,}|\s)\d{1,4}\s*$")
_NON_KEY = re.compile(r"[^\w\u4e00-\u9fff]")

_HEAD_LINES = 8  # non-empty lines at the top where a garbled title copy may sit
_SHORT = 40  # characters: longer lines are body text, not menus or headings
_MIN_TOC_RUN = 4  # numbered headings in a row needed to call an unlabelled run a TOC


@dataclass(frozen=True)
class _Line:
    start: int
    end: int  # after the newline, if any
    core: str  # the line without surrounding spaces or list bullets


def boilerplate_spans(text: str) -> list[Span]:
    """Sorted, non-overlapping (start, end) spans of whole lines that chunks must skip."""
    lines = _split_lines(text)
    drop = [_is_boilerplate_line(line.core) for line in lines]
    _mark_garbled_title(lines, drop)
    _mark_tables_of_contents(lines, drop)
    _mark_trailing_footer(lines, drop)
    _absorb_empty_neighbours(lines, drop)
    return _to_spans(lines, drop)


def _split_lines(text: str) -> list[_Line]:
    """Lines split at "\n" only (not str.splitlines' other breaks), so spans end at "\n"."""
    lines: list[_Line] = []
    pos = 0
    while pos < len(text):
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end + 1
        core = text[pos:end].strip(_SPACE + "\r\n").lstrip(_BULLETS + _SPACE)
        lines.append(_Line(pos, end, core))
        pos = end
    return lines


def _is_boilerplate_line(core: str) -> bool:
    if not core:
        return False
    if _NAV.search(core) or _BARE_DATE.match(core):
        return True
    if _UI_LINE.match(core) and _UI_WORD_RE.search(core):
        return True
    if _SCAN.match(core) and len(core) <= _SHORT:
        return True
    if _COUNTER.search(core) and len(core) <= _SHORT:
        return True
    if _FOOTER.search(core) and len(core) <= 150 and "。" not in core:
        return True  # a sentence (with 。) that mentions 版权所有 is content
    if _META_LINE.match(core):
        # A page-header table row, or a short "来源:…时间:…" line; not a body sentence.
        return "|" in core or (len(core) <= 60 and "。" not in core)
    return False


def _mark_garbled_title(lines: list[_Line], drop: list[bool]) -> None:
    """Drop a top line that repeats the next line's start and then turns to junk."""
    head = [i for i, line in enumerate(lines) if line.core and not drop[i]][:_HEAD_LINES]
    for i, j in itertools.pairwise(head):
        if _is_garbled_copy(lines[i].core, lines[j].core):
            drop[i] = True


def _is_garbled_copy(line: str, following: str) -> bool:
    if len(line) < 8:
        return False
    if line == following:
        return True
    shared = next(
        (k for k, (a, b) in enumerate(zip(line, following, strict=False)) if a != b),
        min(len(line), len(following)),
    )
    # The shared start must be most of the line, and the next line must go on past it.
    return shared >= 8 and shared >= 0.6 * len(line) and shared < len(following)


def _mark_tables_of_contents(lines: list[_Line], drop: list[bool]) -> None:
    """Drop a 目录 block and any run of numbered headings that the body repeats later."""
    keys = [_key(line.core) for line in lines]
    later = _Recurrence(keys)
    i = 0
    while i < len(lines):
        if keys[i] in _TOC_TITLE:
            last = _toc_run_end(lines, keys, later, i + 1)
            if last is not None:
                for k in range(i, last + 1):
                    drop[k] = True
                i = last + 1
                continue
        run = _numbered_run(lines, keys, later, i)
        if len(run) >= _MIN_TOC_RUN:
            for k in range(run[0], run[-1] + 1):
                drop[k] = True
            i = run[-1] + 1
            continue
        i += 1


def _key(core: str) -> str:
    """A heading's comparable form: no spaces, punctuation or trailing page number."""
    return _NON_KEY.sub("", _PAGE_NUMBER.sub("", core))


class _Recurrence:
    """Answers whether a heading line reappears further down the document."""

    def __init__(self, keys: list[str]) -> None:
        self._keys = keys

    def after(self, index: int) -> bool:
        """True when the heading at `index` reappears on a later line (as a heading or lead)."""
        key = self._keys[index]
        if len(key) < 3:
            return False
        for other in self._keys[index + 1 :]:
            if other.startswith(key):
                return True
            # The body may break a long heading over two lines (第三章 … / 发展示范区).
            if len(other) >= max(6, 0.6 * len(key)) and key.startswith(other):
                return True
        return False


def _is_heading_like(core: str) -> bool:
    return 0 < len(core) <= _SHORT and not re.search(r"[。;；]", core)


def _toc_run_end(lines: list[_Line], keys: list[str], later: _Recurrence, start: int) -> int | None:
    """Index of the last entry of the contents list that starts at `start`, if it is one.

    Entries are headings the body repeats, or numbered headings (第二节 …) the body may
    have reworded; the list ends where a heading repeats one of its own entries (the
    body has begun) or after a few lines that are neither.
    """
    last: int | None = None
    found = misses = 0
    seen: set[str] = set()
    for j in range(start, len(lines)):
        core = lines[j].core
        if not core:
            continue
        if not _is_heading_like(core) or keys[j] in seen:
            break
        seen.add(keys[j])
        if later.after(j):
            last, found, misses = j, found + 1, 0
        elif _NUMBERED_HEADING.match(core):
            last, misses = j, 0
        else:
            misses += 1
            if misses > 2:
                break
    return last if found >= 2 else None


def _numbered_run(lines: list[_Line], keys: list[str], later: _Recurrence, start: int) -> list[int]:
    """Consecutive numbered headings from `start` (blank lines allowed) that recur later."""
    run: list[int] = []
    for j in range(start, len(lines)):
        core = lines[j].core
        if not core:
            if run:
                continue
            return run
        if not (_is_heading_like(core) and _NUMBERED_HEADING.match(core) and later.after(j)):
            break
        run.append(j)
    return run


def _mark_trailing_footer(lines: list[_Line], drop: list[bool]) -> None:
    """Drop the page footer: from the first boilerplate line among the short last lines."""
    run: list[int] = []
    for j in range(len(lines) - 1, -1, -1):
        core = lines[j].core
        if not core:
            continue
        if not drop[j] and (len(core) > _SHORT or "。" in core):
            break
        run.append(j)
    run.reverse()
    first = next((j for j in run if drop[j]), None)
    if first is None and len(run) >= 4 and all(len(lines[j].core) <= 8 for j in run):
        first = run[0]  # a bare menu (招商引资 / 高新概况 / …) closing the page
    if first is not None:
        for j in run:
            if j >= first:
                drop[j] = True


def _absorb_empty_neighbours(lines: list[_Line], drop: list[bool]) -> None:
    """Drop lines with no words ("-", "---|---|") and blank lines next to dropped lines."""
    changed = True
    while changed:
        changed = False
        for i, line in enumerate(lines):
            if drop[i] or _CONTENT_CHAR.search(line.core):
                continue
            before = _neighbour(lines, drop, i, -1)
            after = _neighbour(lines, drop, i, 1)
            blank = not line.core
            # A blank line only goes when it sits between two dropped lines.
            if (blank and before and after) or (not blank and (before or after)):
                drop[i] = changed = True


def _neighbour(lines: list[_Line], drop: list[bool], i: int, step: int) -> bool:
    j = i + step
    while 0 <= j < len(lines) and not lines[j].core and not drop[j]:
        j += step
    return 0 <= j < len(lines) and drop[j]


def _to_spans(lines: list[_Line], drop: list[bool]) -> list[Span]:
    spans: list[Span] = []
    for line, dropped in zip(lines, drop, strict=True):
        if not dropped:
            continue
        if spans and spans[-1][1] == line.start:
            spans[-1] = (spans[-1][0], line.end)
        else:
            spans.append((line.start, line.end))
    return spans
