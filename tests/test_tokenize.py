"""The BM25 tokenizer: user words kept whole, no punctuation or stopwords, same for both sides."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.tokenize import ChineseTokenizer, heading_keywords, user_words_from_chunks
from rag.types import Chunk

USER_WORDS = ["新乡高新区", "氢能产业"]


@pytest.fixture(scope="session")
def cache_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("jieba") / "jieba.cache"


@pytest.fixture(scope="session")
def tokenizer(cache_file: Path) -> ChineseTokenizer:
    return ChineseTokenizer(USER_WORDS, cache_file=str(cache_file))


def test_jieba_cache_goes_where_it_is_told(tokenizer: ChineseTokenizer, cache_file: Path) -> None:
    assert cache_file.is_file()


def test_user_words_are_kept_whole(tokenizer: ChineseTokenizer, cache_file: Path) -> None:
    plain = ChineseTokenizer([], cache_file=str(cache_file))
    text = "新乡高新区发展氢能产业"
    assert "新乡高新区" in tokenizer.tokens(text)
    assert "氢能产业" in tokenizer.tokens(text)
    assert "新乡高新区" not in plain.tokens(text)


def test_punctuation_whitespace_and_stopwords_are_dropped(tokenizer: ChineseTokenizer) -> None:
    tokens = tokenizer.tokens("到2025年，新乡高新区的氢能目标是什么？【字体】 \n 及  等")
    assert not {"，", "？", "【", "】", " ", "\n", "的", "是", "什么", "及", "等"} & set(tokens)
    assert {"2025", "新乡高新区", "氢能", "目标", "字体"} <= set(tokens)


def test_numbers_and_units_are_kept(tokenizer: ChineseTokenizer) -> None:
    tokens = tokenizer.tokens("规上工业总产值489.5亿元，同比增长4%，降低30‰")
    assert {"489.5", "亿元", "4%", "总产值"} <= set(tokens)


def test_question_and_passage_forms_give_the_same_terms(tokenizer: ChineseTokenizer) -> None:
    # Full-width digits and letters, capitals: the same terms as their plain forms.
    assert tokenizer.tokens("２０２５年ＧＤＰ达到") == tokenizer.tokens("2025年gdp达到")
    question = tokenizer.tokens("新乡高新区的氢能产业目标？")
    passage = tokenizer.tokens("新乡高新区氢能产业目标")
    assert question == passage


def test_same_user_words_in_any_order_rebuild_the_same_tokenizer(
    tokenizer: ChineseTokenizer, cache_file: Path
) -> None:
    other = ChineseTokenizer([" 氢能产业", "新乡高新区", "新乡高新区"], cache_file=str(cache_file))
    assert other.settings() == tokenizer.settings()
    text = "新乡高新区氢能产业发展规划，河源高新区电子信息产业"
    assert other.tokens(text) == tokenizer.tokens(text)


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("第一章  链接双区双城,谋划战略发展新蓝图", ["链接双区双城", "谋划战略发展新蓝图"]),
        ("第一节发展的现实基础", ["发展的现实基础"]),
        ("（三）加快建设粤港澳大湾区", ["加快建设粤港澳大湾区"]),
        ("1.经济总量加速提升，发展潜力持续增强", ["经济总量加速提升", "发展潜力持续增强"]),
        ("专栏3 重点项目", ["重点项目"]),
        ("第二部分 一个非常非常非常非常长的标题短语", []),
    ],
)
def test_heading_keywords_drop_numbering_and_split_at_punctuation(
    heading: str, expected: list[str]
) -> None:
    assert heading_keywords(heading) == expected


def _chunk(region: str, title: str, section: tuple[str, ...]) -> Chunk:
    return Chunk("id", "a.txt", title, region, section, 0, 2, "正文", "正文")


def test_user_words_from_chunks_collect_regions_titles_and_headings() -> None:
    chunks = [
        _chunk("新乡高新区", "新乡高新区氢能规划", ("第一章 总体要求", "第一节 发展基础")),
        _chunk("河源市高新区", "关于印发《规划》的通知", ("第二章 产业体系",)),
        _chunk("", "", ()),
    ]
    words = user_words_from_chunks(chunks)
    assert words == sorted(words)
    assert {"新乡高新区", "河源市高新区", "新乡高新区氢能规划"} <= set(words)
    assert {"总体要求", "发展基础", "产业体系", "关于印发", "规划", "通知"} <= set(words)
    assert "" not in words
    assert "的通知" not in words
