"""Titles, dates, 文号, regions and periods derived from document text."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.lexicon import period_name, plan_years, plans_named
from rag.reading.clean import boilerplate_spans
from rag.reading.metadata import extract_meta, region_aliases
from rag.types import DocMeta

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def _meta(prefix: str) -> DocMeta:
    text = next(CORPUS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")
    return extract_meta(text, boilerplate_spans(text))


CORPUS_META = {
    "000": DocMeta(
        title="河源市高新区国民经济和社会发展第十四个五年规划(2021-2025)",
        region="河源高新区",
        issuer="河源国家高新区",
        date="2022-03-09",
        doc_number="",
        period="2021-2025",
    ),
    "001": DocMeta(
        title="新乡高新区国民经济和社会发展第十四个五年规划和二〇三五年远景目标纲要",
        region="新乡高新区",
        issuer="新乡高新区管委会",
        date="2025-01-17",
        doc_number="新开〔2021〕91号",
        period="2021-2025",
    ),
    "002": DocMeta(
        title=(
            "中共广州市黄埔区委 中共广州开发区工委关于制定广州市黄埔区、广州开发区"
            "国民经济和社会发展第十四个五年规划和二〇三五年远景目标的建议"
        ),
        region="广州市黄埔区/广州开发区",
        issuer="中共广州市黄埔区委 中共广州开发区工委",
        date="2021-02-10",
        doc_number="",
        period="2021-2025",
    ),
    "003": DocMeta(
        title="襄阳高新区国民经济和社会发展第十四个五年规划和二0三五年远景目标纲要",
        region="襄阳高新区",
        issuer="襄阳政府网",
        date="2022-11-08",
        doc_number="",  # the page says 文号: 无
        period="2021-2025",
    ),
    "004": DocMeta(
        title="新乡高新区深化改革创新加快推动高质量发展工作方案",
        region="新乡高新区",
        issuer="",
        date="2020-08-22",
        doc_number="新开〔2020〕28号",
        period="",
    ),
}


@pytest.mark.parametrize("prefix", sorted(CORPUS_META))
def test_corpus_metadata(prefix: str) -> None:
    assert _meta(prefix) == CORPUS_META[prefix]


def test_notice_title_broken_over_lines_without_book_quotes() -> None:
    text = (
        "某市经开区管委会\n关于印发某市经开区产业发展\n三年行动计划的\n通知\n"
        "各部门:\n现将计划印发给你们,请认真贯彻执行。\n二〇二一年十月十四日\n"
    )
    meta = extract_meta(text)
    assert meta.title == "某市经开区产业发展三年行动计划"
    assert meta.issuer == "某市经开区管委会"
    assert meta.date == "2021-10-14"


def test_labelled_fields_win_and_none_means_no_number() -> None:
    text = (
        "标 题: | 石家庄高新区数字经济发展规划 | 文 号: | 无 |\n"
        "发文机关: | 石家庄高新区管委会 | 成文日期: | 2021年3月9日 |\n"
        "石家庄高新区加快建设数字经济示范区,石家庄高新技术产业开发区位于石家庄市东部。\n"
        "“十四五”时期,石家庄高新区……\n"
    )
    meta = extract_meta(text)
    assert meta.title == "石家庄高新区数字经济发展规划"
    assert meta.doc_number == ""
    assert meta.issuer == "石家庄高新区管委会"
    assert meta.date == "2021-03-09"
    assert meta.region == "石家庄高新区"  # not 家庄高新区: the longer name is as frequent


@pytest.mark.parametrize(
    ("line", "number"),
    [
        ("新开〔2021〕91号", "新开〔2021〕91号"),
        ("粤府办[2020] 12号", "粤府办〔2020〕12号"),
        ("(穗埔府〔2021〕3号)", "穗埔府〔2021〕3号"),
    ],
)
def test_doc_number_forms(line: str, number: str) -> None:
    assert extract_meta(f"{line}\n某区工作方案\n正文。\n").doc_number == number


def test_doc_number_in_the_body_is_not_the_documents_own() -> None:
    text = "某区工作方案\n" + "根据有关意见。\n" * 20 + "国办发〔2019〕58号\n"
    assert extract_meta(text).doc_number == ""


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("某区“十三五”规划\n正文。\n", "2016-2020"),
        ("某区第十五个五年规划纲要\n正文。\n", "2026-2030"),
        ("某区发展规划(2023-2027年)\n正文。\n", "2023-2027"),
        ("某区工作方案\n“十四五”开局,“十四五”期间,“十四五”末。\n", "2021-2025"),
        ("某区工作方案\n“十四五”开局。\n", ""),
    ],
)
def test_period(text: str, period: str) -> None:
    assert extract_meta(text).period == period


def test_region_from_zone_long_form_and_city_prefix() -> None:
    text = (
        "关于印发《河源市高新区产业规划》的通知\n"
        "河源国家高新区位于河源市。河源高新区将推动扩园。河源高新技术产业开发区……\n"
    )
    assert extract_meta(text).region == "河源高新区"


def test_region_without_title_mention_is_most_frequent_zone() -> None:
    text = "产业发展工作要点\n推进襄阳高新区建设。襄阳高新区扩园。对比武汉高新区。\n"
    assert extract_meta(text).region == "襄阳高新区"


def test_no_region_when_none_is_named() -> None:
    assert extract_meta("工作要点\n推动高质量发展。\n").region == ""


def test_empty_text() -> None:
    assert extract_meta("") == DocMeta()


def test_region_aliases_of_a_zone() -> None:
    aliases = region_aliases("新乡高新区")
    for alias in ["新乡", "新乡高新区", "新乡市高新区", "新乡国家高新区", "新乡高新技术产业开发区"]:
        assert alias in aliases
    assert list(aliases) == sorted(aliases, key=len, reverse=True)


def test_region_aliases_of_a_district_and_zone_pair() -> None:
    aliases = region_aliases("广州市黄埔区/广州开发区")
    for alias in ["黄埔", "黄埔区", "广州开发区", "广州市黄埔区", "广州黄埔区"]:
        assert alias in aliases
    assert "区" not in aliases


def test_region_aliases_of_nothing() -> None:
    assert region_aliases("") == ()


def test_period_name_is_the_five_year_plans_short_name() -> None:
    assert period_name("2021-2025") == "十四五"
    assert period_name("2016-2020") == "十三五"
    assert period_name("2001-2005") == "十五"
    assert period_name("2020-2022") == ""
    assert period_name("") == ""
    assert period_name("2026-2030") == "十五五"


def test_plan_periods_are_derived_from_the_year_not_listed() -> None:
    assert plans_named("“十五五”规划和第十六个五年规划") == [15, 16]
    assert plan_years(15) == (2026, 2030)
    assert plan_years(16) == (2031, 2035)
    assert plans_named("十五分钟生活圈") == []
