"""Boilerplate and tables of contents are skipped as whole lines; policy content never is."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from rag.reading.clean import boilerplate_spans

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
GOLD = ROOT / "eval" / "gold" / "dev.jsonl"
DOCS = sorted(p.name for p in CORPUS.glob("*.txt"))


def _text(prefix: str) -> str:
    return next(CORPUS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


def _dropped(text: str, spans: list[tuple[int, int]], needle: str, start: int = 0) -> bool:
    """True when the occurrence of `needle` (from `start`) lies wholly inside one span."""
    i = text.index(needle, start)
    return any(s <= i and i + len(needle) <= e for s, e in spans)


def _touched(text: str, spans: list[tuple[int, int]], needle: str, start: int = 0) -> bool:
    """True when any character of that occurrence of `needle` is inside a span."""
    i = text.index(needle, start)
    return any(s < i + len(needle) and i < e for s, e in spans)


def _kept_text(text: str, spans: list[tuple[int, int]]) -> str:
    pieces, pos = [], 0
    for s, e in spans:
        pieces.append(text[pos:s])
        pos = e
    return "".join(pieces) + text[pos:]


@pytest.mark.parametrize("name", DOCS)
def test_spans_are_sorted_disjoint_whole_lines(name: str) -> None:
    text = (CORPUS / name).read_text(encoding="utf-8")
    spans = boilerplate_spans(text)
    assert spans
    for s, e in spans:
        assert 0 <= s < e <= len(text)
        assert s == 0 or text[s - 1] == "\n"
        assert e == len(text) or text[e - 1] == "\n"
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert end < start  # touching spans are merged


def test_no_gold_evidence_is_dropped() -> None:
    items = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines()]
    checked = 0
    for item in items:
        if not item["doc"]:
            continue
        text = (CORPUS / item["doc"]).read_text(encoding="utf-8")
        spans = boilerplate_spans(text)
        for evidence in item["evidence"]:
            assert not _touched(text, spans, evidence), (item["id"], evidence)
            checked += 1
    assert checked > 50


def test_003_header_table_and_whole_toc_dropped() -> None:
    text = _text("003")
    spans = boilerplate_spans(text)
    preface = text.index("序 言")
    toc = text.index("目 录")
    assert _dropped(text, spans, text[:preface])  # metadata rows, 目 录 and every entry
    assert not _touched(text, spans, "序 言")
    assert toc > 0
    # The headings the contents list names are still present in the body.
    body = _kept_text(text, spans)
    assert body.startswith("序 言\n")
    for heading in [
        "第一章 砥砺奋进",
        "第三章 继往开来,谱写高质量发展新篇章",
        "第一节 加强党的全面领导",
    ]:
        assert heading in body
    assert body.count("第一节 面临的机遇") == 1


def test_003_footer_counters_and_repeated_title_dropped() -> None:
    text = _text("003")
    spans = boilerplate_spans(text)
    footer = text.index("扫一扫在手机上查看当前页面")
    assert _dropped(text, spans, text[footer:])
    assert not _touched(text, spans, "加强规划宣传,发挥新闻媒体引导和监督作用")


def test_000_spam_title_and_page_tools_dropped() -> None:
    text = _text("000")
    spans = boilerplate_spans(text)
    first_line = text[: text.index("\n")]
    assert "威尼斯" in first_line
    assert _dropped(text, spans, first_line)
    title = "关于印发《河源市高新区国民经济和社会发展第十四个五年规划(2021-2025)》的通知"
    assert not _touched(text, spans, title)
    for line in ["来源:河源国家高新区时间:2022-03-09 16:28:04", "字体【", "保护视力色:"]:
        assert _dropped(text, spans, line)
    tail = text.index("扫一扫在手机打开当前页")
    assert _dropped(text, spans, text[tail:])
    for content in [
        "链接双区双城,谋划战略发展新蓝图",
        "附件:",
        "3.强化廉洁自律",
        "经济活力指标(3项)",
    ]:
        assert not _touched(text, spans, content)


def test_002_navigation_and_share_bar_dropped() -> None:
    text = _text("002")
    spans = boilerplate_spans(text)
    for line in ["当前位置:首页", "听全文", "来源:黄埔区", "分享到", "相关附件", "相关新闻"]:
        assert _dropped(text, spans, line)
    assert _dropped(text, spans, text[text.index("相关附件") :])
    for content in [
        "中共广州市黄埔区委 中共广州开发区工委关于制定",
        "(2021年1月22日中国共产党广州市黄埔区第一届代表大会",
        "(三十六)加强统筹协调和督促检查。",
        "艰难方显勇毅,磨砺始得玉成。",
    ]:
        assert not _touched(text, spans, content)


@pytest.mark.parametrize("prefix", ["001", "004"])
def test_page_date_dropped_but_notice_kept(prefix: str) -> None:
    text = _text(prefix)
    spans = boilerplate_spans(text)
    assert _dropped(text, spans, "发布日期:")
    assert not _touched(text, spans, "新开〔20")
    assert _kept_text(text, spans).startswith("新开〔20")


def test_001_headings_run_into_text_are_not_a_toc() -> None:
    text = _text("001")
    spans = boilerplate_spans(text)
    assert spans == [(0, text.index("\n") + 1)]


PAGE = """\
您的位置:首页 > 政策文件
字号:【大 中 小】 打印 关闭
示范区产业发展规划
第一章 总则
第一节 发展基础
第二节 发展环境
第三节 发展目标
第一章 总则
第一节 发展基础
产业基础持续夯实,总产值增长百分之十。
第二节 发展环境
外部环境复杂多变。
第三节 发展目标
到2025年,总产值翻一番。
附件:
1.重点项目表
浏览次数: 2051
【打印本页】 【关闭窗口】
相关链接
版权所有:示范区管委会 备案号:京ICP备05070号
"""


def test_generic_page_patterns_and_unlabelled_toc() -> None:
    spans = boilerplate_spans(PAGE)
    kept = _kept_text(PAGE, spans)
    assert kept == (
        "示范区产业发展规划\n"
        "第一章 总则\n第一节 发展基础\n产业基础持续夯实,总产值增长百分之十。\n"
        "第二节 发展环境\n外部环境复杂多变。\n"
        "第三节 发展目标\n到2025年,总产值翻一番。\n"
        "附件:\n1.重点项目表\n"
    )


def test_headings_that_do_not_recur_are_kept() -> None:
    text = "第一章 总则\n第一节 目的\n第二节 范围\n第三节 原则\n为规范管理,制定本办法。\n"
    assert boilerplate_spans(text) == []


def test_body_sentences_with_field_words_are_kept() -> None:
    text = (
        "标题党问题需要治理。\n"
        "时间:2021年至2025年,分三个阶段推进全区重点任务,逐年开展评估并形成闭环管理机制。\n"
        "来源于企业的研发投入占比达到百分之二。\n"
        "鼓励企业担任国际展会主办单位:支持版权所有人依法维权。\n"
    )
    assert boilerplate_spans(text) == []


def test_only_newlines_end_lines() -> None:
    # Form feeds and U+2028 are not line ends for offsets: spans still end at "\n".
    text = "正文第一段。\f仍是第一行\n分享到\u2028 \n正文。\n"
    assert boilerplate_spans(text) == [(text.index("分享到"), text.index("正文。"))]


def test_garbled_copy_of_the_title_is_dropped() -> None:
    text = "某某市产业发展规划(2021-5566体育\n\n某某市产业发展规划(2021-2025)\n正文。\n"
    assert boilerplate_spans(text) == [(0, text.index("\n") + 1)]


def test_spans_of_empty_text() -> None:
    assert boilerplate_spans("") == []
