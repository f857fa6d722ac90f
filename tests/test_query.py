"""Reading a question once into a Query: its scope, the answer it wants, its terms, its problems."""

from __future__ import annotations

from rag.answering.asks import EXPLAIN, LIST, NUMBER, TARGET
from rag.answering.scope import Scope
from rag.lexicon import ACHIEVEMENT, LONG_RANGE
from rag.lexicon import TARGET as TARGET_TIME
from rag.types import DocMeta
from tests.queries import analyzer, query

DOCS = {
    "plan.txt": DocMeta(
        title="新乡高新区国民经济和社会发展第十四个五年规划和二〇三五年远景目标纲要",
        region="新乡高新区",
        doc_number="新开〔2021〕91号",
        period="2021-2025",
    ),
    "work.txt": DocMeta(
        title="新乡高新区深化改革创新加快推动高质量发展工作方案",
        region="新乡高新区",
        doc_number="新开〔2020〕28号",
    ),
    "xy.txt": DocMeta(
        title="襄阳高新区国民经济和社会发展第十四个五年规划",
        region="襄阳高新区",
        period="2021-2025",
    ),
    "hp.txt": DocMeta(title="黄埔区十四五规划建议", region="广州市黄埔区/广州开发区"),
    "next.txt": DocMeta(title="某市第十五个五年规划纲要", region="某市", period="2026-2030"),
}


def regions(text: str) -> tuple[str, ...]:
    return query(text, DOCS).scope.regions


def test_region_names_and_aliases_are_recognized() -> None:
    assert regions("新乡高新区的氢能目标是什么") == ("新乡高新区",)
    assert regions("新乡市高新区的氢能目标") == ("新乡高新区",)
    assert regions("襄阳自贸片区是什么时候挂牌成立的") == ("襄阳高新区",)
    assert regions("黄埔区2020年地区生产总值") == ("广州市黄埔区/广州开发区",)
    assert regions("氢能产业有什么规划") == ()


def test_two_regions_named_are_both_kept_and_compared() -> None:
    q = query("新乡高新区和襄阳高新区的氢能目标", DOCS)
    assert set(q.scope.regions) == {"新乡高新区", "襄阳高新区"}
    assert q.compares


def test_a_document_is_named_by_a_distinctive_part_of_its_title() -> None:
    q = query("新乡高新区深化改革创新工作方案中的发展定位是什么", DOCS)
    assert q.scope == Scope(("新乡高新区",), ("work.txt",), "question")
    assert query("新乡高新区的氢能目标是什么", DOCS).scope.docs == ()


def test_a_run_many_titles_share_names_no_document() -> None:
    assert query("国民经济和社会发展有哪些新要求", DOCS).scope == Scope()


def test_a_document_is_named_by_its_number() -> None:
    assert query("新开〔2021〕91号提出了哪些目标", DOCS).scope.docs == ("plan.txt",)


def test_unscoped_question_allows_everything() -> None:
    q = query("氢能产业有什么规划", DOCS)
    assert q.scope == Scope() and not q.scope.limited
    assert q.scope.allows("xy.txt", "襄阳高新区")


def test_explicit_filters_win_over_the_question() -> None:
    q = analyzer(DOCS).analyze("新乡高新区的氢能目标", region="襄阳高新区")
    assert q.scope == Scope(("襄阳高新区",), (), "filter")
    assert analyzer(DOCS).analyze("随便问问", doc="hp.txt").scope.docs == ("hp.txt",)


def test_naming_the_plan_period_picks_the_plan_among_the_regions_documents() -> None:
    q = query("新乡高新区“十四五”规划对孵化体系建设有什么安排", DOCS)
    assert q.scope == Scope(("新乡高新区",), ("plan.txt",), "question")
    assert q.period == "2021-2025"
    # The period names the scope, so it is no search term; the content words remain.
    assert "“十四五”规划" in q.scope_words
    assert not any("孵化" in w for w in q.scope_words)
    assert "孵化" in q.grams and "十四" not in q.grams


def test_a_period_no_document_in_scope_covers_stays_a_content_word() -> None:
    q = query("新乡高新区“十三五”期间地区生产总值", DOCS)
    assert q.scope == Scope(("新乡高新区",), (), "question")
    assert all("十三五" not in w for w in q.scope_words)
    assert q.period == "2016-2020"


def test_the_next_plan_period_is_derived_not_listed() -> None:
    q = query("“十五五”规划提出了什么", DOCS)
    assert q.period == "2026-2030"
    assert q.scope.docs == ("next.txt",)


def test_what_a_question_wants() -> None:
    assert query("新乡高新区的氢能目标是什么").wants == TARGET
    assert query("新乡高新区的发展定位是什么").wants == LIST
    assert query("“十三五”期间地区生产总值达到多少").wants == NUMBER
    assert query("如何优化营商环境").wants == EXPLAIN
    assert query("三大产业集群是哪些?各自的规模目标是多少?").asks_figure


def test_which_ones_asks_for_items_not_a_figure() -> None:
    which = query("“三主三副”商贸格局包括哪几个商圈?")
    assert which.wants == LIST and not which.asks_figure and which.measure == ""
    how_many = query("建设几个商圈?")
    assert how_many.asks_figure and how_many.measure == "个"


def test_the_number_of_items_and_per_item_details() -> None:
    assert query("新乡高新区的四大主导产业是什么").count == 4
    assert query("“六个高新”是指哪六个").count == 6
    assert query("保障措施有哪些").count == 0
    assert query("三大产业集群是哪些?各自的规模目标是多少?").per_item
    assert not query("三大产业集群是哪些?").per_item


def test_years_and_time_scopes() -> None:
    q = query("河源高新区2019年全社会固定资产投资完成值是多少")
    assert q.years == ("2019",)
    assert ACHIEVEMENT in query("“十三五”期间取得了哪些成效").time_scopes
    assert query("到2035年远景目标").time_scopes == frozenset({LONG_RANGE})
    assert TARGET_TIME in query("到2025年的目标").time_scopes


def test_question_words_are_no_key_terms() -> None:
    q = query("新乡高新区的氢能目标是什么", DOCS)
    assert "氢能" in q.grams
    assert not {"什么", "是什", "新乡"} & q.grams


def test_a_zone_no_document_concerns_is_named() -> None:
    assert query("东莞松山湖高新区的氢能目标是什么", DOCS).unknown_place == "东莞松山湖高新区"
    assert query("新乡高新区的氢能目标是什么", DOCS).unknown_place == ""


def test_junk_is_no_question() -> None:
    assert query("asdf").problem
    assert query('<img src=x onerror="alert(1)">').problem
    assert query("氢能" * 200).problem
    assert query("SELECT * FROM users;").problem
    assert not query("新乡高新区的氢能目标是什么").problem
    # Markup around a real question leaves the question.
    assert not query("<p>新乡高新区的氢能目标是什么</p>").problem
