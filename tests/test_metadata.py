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
        issuer="河源国家高新区",  # the page's 来源: the zone, a body (not a website)
        date="2022-03-09",  # no signing date in the text: dated by the page
        doc_number="",
        period="2021-2025",
        published="2022-03-09",
    ),
    "001": DocMeta(
        title="新乡高新区国民经济和社会发展第十四个五年规划和二〇三五年远景目标纲要",
        region="新乡高新区",
        issuer="新乡高新区管委会",
        date="2021-10-14",  # signed under the notice; the page published it in 2025
        doc_number="新开〔2021〕91号",
        period="2021-2025",
        published="2025-01-17",
    ),
    "002": DocMeta(
        title=(
            "中共广州市黄埔区委 中共广州开发区工委关于制定广州市黄埔区、广州开发区"
            "国民经济和社会发展第十四个五年规划和二〇三五年远景目标的建议"
        ),
        region="广州市黄埔区/广州开发区",
        issuer="中共广州市黄埔区委 中共广州开发区工委",
        date="2021-01-22",  # (2021年1月22日…会议通过) under the title
        doc_number="",
        period="2021-2025",
        published="2021-02-10",
    ),
    "003": DocMeta(
        title="襄阳高新区国民经济和社会发展第十四个五年规划和二0三五年远景目标纲要",
        region="襄阳高新区",
        issuer="",  # the page's 发布机构 is 襄阳政府网, a website, not an issuing body
        date="2022-11-08",  # the page's 发文日期
        doc_number="",  # the page says 文号: 无
        period="2021-2025",
        published="2022-11-08",
    ),
    "004": DocMeta(
        title="新乡高新区深化改革创新加快推动高质量发展工作方案",
        region="新乡高新区",
        issuer="",
        date="2020-03-31",  # signed under the notice
        doc_number="新开〔2020〕28号",
        period="",
        published="2020-08-22",
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


def test_signing_date_under_the_text_not_the_page_date() -> None:
    text = (
        "发布日期:2023-05-06\n"
        "某市人民政府办公室关于印发某市数字经济发展行动方案的通知\n"
        "某政办〔2023〕7号\n"
        "各区人民政府,市政府各部门:\n"
        "《某市数字经济发展行动方案》已经市政府同意,现印发给你们,请认真贯彻执行。\n"
        "某市人民政府办公室\n"
        "2023年4月28日\n"
        "某市数字经济发展行动方案\n"
        "为加快数字经济发展,制定本方案。\n"
    )
    meta = extract_meta(text, boilerplate_spans(text))
    assert (meta.date, meta.published) == ("2023-04-28", "2023-05-06")
    assert meta.issuer == "某市人民政府办公室"
    assert meta.title == "某市数字经济发展行动方案"


def test_labelled_signing_date_beats_everything_else() -> None:
    text = (
        "索 引 号: | 000014349/2021-00100 | 主题分类: | 科技、教育\n"
        "发文机关: | 国务院办公厅 | 成文日期: | 2021年10月14日\n"
        "标 题: | 国务院办公厅关于进一步支持大学生创新创业的指导意见\n"
        "发文字号: | 国办发〔2021〕35号 | 发布日期: | 2021年10月20日\n"
        "各省、自治区、直辖市人民政府:\n"
        "大学生是大众创业万众创新的生力军。\n"
    )
    meta = extract_meta(text, boilerplate_spans(text))
    assert (meta.date, meta.published) == ("2021-10-14", "2021-10-20")
    assert meta.issuer == "国务院办公厅"
    assert meta.doc_number == "国办发〔2021〕35号"


def test_signature_at_the_end_dates_the_document_and_names_the_issuer() -> None:
    text = (
        "某区促进先进制造业发展若干措施\n"
        "第一条 为促进先进制造业高质量发展,制定本措施。\n"
        "第二条 本措施自发布之日起施行。\n"
        "某区工业和信息化局\n"
        "二〇二二年三月一日\n"
        "(此件公开发布)\n"
    )
    meta = extract_meta(text, boilerplate_spans(text))
    assert (meta.date, meta.published) == ("2022-03-01", "")
    assert meta.issuer == "某区工业和信息化局"


def test_a_signature_under_a_closing_table() -> None:
    text = (
        "某区数字经济行动方案\n为加快发展，制定本方案。\n"
        "序号 | 任务 | 牵头单位\n1 | 建设智算中心 | 数据资源管理局\n"
        "某区高新技术产业开发区管理委员会\n2024年5月20日\n"
    )
    meta = extract_meta(text)
    assert (meta.issuer, meta.date) == ("某区高新技术产业开发区管理委员会", "2024-05-20")


def test_a_date_cell_ending_a_table_is_no_signature() -> None:
    text = "某区重点项目表\n制定下表。\n项目\n完成时限\n厂房建设\n2022年12月31日\n"
    assert extract_meta(text).date == ""
    assert extract_meta(text.replace("制定下表。\n", "")).date == ""


def test_page_date_above_the_text_is_the_publication_date() -> None:
    text = "某区工作要点\n2022-05-06\n推动高质量发展。\n2021年\n"
    meta = extract_meta(text, boilerplate_spans(text))
    assert (meta.date, meta.published) == ("2022-05-06", "2022-05-06")


PLAN_HEADER = "某区国民经济和社会发展第十四个五年规划纲要\n\n某区管理委员会\n{date}\n\n前  言\n"
# Longer than the lines a signature is looked for in: the header is no signature.
PLAN_TEXT = (
    "“十四五”时期是某区发展的关键时期。\n第一章 发展基础\n全区经济实力稳步提升。\n"
    "第二章 发展目标\n到2025年，全区创新能力显著提升。\n第三章 重点任务\n"
    "加快建设科技创新高地。\n第四章 保障措施\n强化组织领导。\n"
)


@pytest.mark.parametrize("written", ["2021年6月18日", "二〇二一年六月十八日", "（2021年6月18日）"])
def test_only_a_date_alone_under_the_title_dates_the_document(written: str) -> None:
    text = PLAN_HEADER.format(date=written) + PLAN_TEXT
    meta = extract_meta(text, boilerplate_spans(text))
    assert (meta.date, meta.published, meta.issuer) == ("2021-06-18", "", "某区管理委员会")
    not_the_header = [
        PLAN_HEADER.format(date=f"本纲要于{written}印发"),  # in a sentence
        f"{written}\n" + PLAN_HEADER.format(date=""),  # above the title
        PLAN_HEADER.format(date=f"重点项目\n{written}"),  # under another line
        # far down, below headings of the text
        "某区规划纲要\n" + "".join(f"第{n}章 总体要求\n" for n in "一二三四五六") + f"{written}\n",
    ]
    for header in not_the_header:
        text = header + PLAN_TEXT
        assert extract_meta(text, boilerplate_spans(text)).date == "", header


@pytest.mark.parametrize(
    ("source", "issuer"),
    [
        ("发布机构: 襄阳政府网", ""),
        ("发布机构: 中国政府网 www.gov.cn", ""),
        ("发布机构: 某市人民政府门户网站", ""),
        ("发布机构: 无", ""),
        ("来源: 人民日报", ""),  # media, not a body
        ("来源: 某市发展改革委", "某市发展改革委"),
        ("来源: 某市高新区", "某市高新区"),
        ("发布机构: 某市科学技术局", "某市科学技术局"),
    ],
)
def test_a_website_or_newspaper_is_not_an_issuer(source: str, issuer: str) -> None:
    text = f"{source}\n某市科技创新发展规划\n为推动科技创新,制定本规划。\n"
    assert extract_meta(text, boilerplate_spans(text)).issuer == issuer


@pytest.mark.parametrize("line", ["# 某区产业规划", "## 某区产业规划 ##", "**某区产业规划**"])
def test_markdown_title_loses_its_markup(line: str) -> None:
    text = f"{line}\n\n## 一、总体要求\n推动高质量发展。\n"
    assert extract_meta(text).title == "某区产业规划"


def test_control_characters_never_reach_a_title() -> None:
    assert extract_meta("某区\x1b[31m产业发展规划\n正文。\n").title == "某区[31m产业发展规划"


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


def test_counting_all_names_at_once_equals_str_count() -> None:
    import random

    from rag.reading.ngrams import count_all

    rng = random.Random(5)
    alphabet = "新乡高区发展市a。\n𠮷"
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80)))
        names = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 5))) for _ in range(8)]
        assert count_all(text, names) == {name: text.count(name) for name in names}
