"""Region and document scoping from the names the documents' metadata gives."""

from __future__ import annotations

from rag.answering.scope import Scope, detect_scope, docs_named, regions_named, scope_phrases
from rag.types import DocMeta

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
    "xy.txt": DocMeta(title="襄阳高新区国民经济和社会发展第十四个五年规划", region="襄阳高新区"),
    "hp.txt": DocMeta(title="黄埔区十四五规划建议", region="广州市黄埔区/广州开发区"),
}
REGIONS = sorted({m.region for m in DOCS.values()})


def test_region_names_and_aliases_are_recognized() -> None:
    assert regions_named("新乡高新区的氢能目标是什么", REGIONS) == ("新乡高新区",)
    assert regions_named("新乡市高新区的氢能目标", REGIONS) == ("新乡高新区",)
    assert regions_named("襄阳自贸片区是什么时候挂牌成立的", REGIONS) == ("襄阳高新区",)
    assert regions_named("黄埔区2020年地区生产总值", REGIONS) == ("广州市黄埔区/广州开发区",)
    assert regions_named("氢能产业有什么规划", REGIONS) == ()


def test_two_regions_named_are_both_kept() -> None:
    assert set(regions_named("新乡高新区和襄阳高新区的氢能目标", REGIONS)) == {
        "新乡高新区",
        "襄阳高新区",
    }


def test_a_document_is_named_by_a_distinctive_part_of_its_title() -> None:
    xinxiang = {k: v for k, v in DOCS.items() if v.region == "新乡高新区"}
    assert docs_named("新乡高新区深化改革创新工作方案中的发展定位是什么", xinxiang) == ("work.txt",)
    assert docs_named("新乡高新区的氢能目标是什么", xinxiang) == ()


def test_a_document_is_named_by_its_number() -> None:
    assert docs_named("新开〔2021〕91号提出了哪些目标", DOCS) == ("plan.txt",)


def test_detect_scope_limits_to_region_then_document() -> None:
    scope = detect_scope("新乡高新区深化改革创新工作方案的保障措施", DOCS)
    assert scope == Scope(("新乡高新区",), ("work.txt",), "question")
    assert scope.allows("work.txt", "新乡高新区")
    assert not scope.allows("plan.txt", "新乡高新区")


def test_unscoped_question_allows_everything() -> None:
    scope = detect_scope("氢能产业有什么规划", DOCS)
    assert scope == Scope()
    assert scope.allows("xy.txt", "襄阳高新区")


def test_explicit_filters_win_over_the_question() -> None:
    scope = detect_scope("新乡高新区的氢能目标", DOCS, region="襄阳高新区")
    assert scope == Scope(("襄阳高新区",), (), "filter")
    assert detect_scope("随便问问", DOCS, doc="hp.txt").docs == ("hp.txt",)


def test_naming_the_plan_period_picks_the_plan_among_the_regions_documents() -> None:
    scope = detect_scope("新乡高新区“十四五”规划对孵化体系建设有什么安排", DOCS)
    assert scope == Scope(("新乡高新区",), ("plan.txt",), "question")
    # The period names the scope, so it is no search term; the content words remain.
    phrases = scope_phrases("新乡高新区“十四五”规划对孵化体系建设有什么安排", scope, DOCS)
    assert "“十四五”规划" in phrases
    assert not any("孵化" in p for p in phrases)


def test_a_period_no_document_covers_names_nothing() -> None:
    scope = detect_scope("新乡高新区“十三五”期间地区生产总值", DOCS)
    assert scope == Scope(("新乡高新区",), (), "question")
    assert all("十三五" not in p for p in scope_phrases("新乡高新区“十三五”期间", scope, DOCS))
