"""Extractive answers on a small made corpus: each question type, citations, numbers, abstention."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from index.service import QAService
from index.store import open_index
from rag.answering.compose import choose, cite, lines
from rag.answering.evidence import candidates
from rag.answering.pipeline import MIXED_REGIONS
from rag.config import LEXICAL_EVIDENCE, AnswerSettings
from rag.lexicon import NOT_FOUND
from rag.types import Answer, Cell, Chunk, Hit, Table, TableRow
from tests.queries import query
from tests.small_corpus import DOCS, build_small_index

NUMBER = re.compile(r"\d+(?:\.\d+)?(?:-\d+)?%?")


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> QAService:
    index, settings = build_small_index(tmp_path_factory.mktemp("small"), tiny_model_dir)
    return QAService(open_index(index), settings)


def _check_citations(answer: Answer) -> None:
    """Every [n] names a citation; every cited span is verbatim source text in its passage."""
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert cited == {c.n for c in answer.citations}
    for c in answer.citations:
        chunk = c.hit.chunk
        assert c.spans
        for start, end in c.spans:
            assert chunk.start <= start < end <= chunk.end
            assert DOCS[chunk.doc][start:end] in answer.text


def test_fact_question_gets_the_sentence_with_the_figure(service: QAService) -> None:
    answer = service.ask("新乡高新区“十三五”期间地区生产总值达到多少?")
    assert not answer.abstained
    assert "184.54亿元" in answer.text
    assert len(answer.text.splitlines()) <= 3  # title line + one or two sentences
    _check_citations(answer)


def test_target_question_gets_the_hydrogen_targets_of_the_right_section(service: QAService) -> None:
    answer = service.ask("新乡高新区的氢能目标是什么")
    assert not answer.abstained
    for target in ("电堆企业1-2家", "动力系统企业2-3家", "3-5座加氢站"):
        assert target in answer.text
    sections = {c.hit.chunk.section_path for c in answer.citations}
    assert any("第二节做精做强主导产业" in s for s in sections)
    assert "襄阳" not in answer.text
    _check_citations(answer)


def test_list_question_gathers_the_items(service: QAService) -> None:
    answer = service.ask("新乡高新区的保障措施有哪些?")
    for item in ("加强组织领导", "强化要素保障", "营造良好氛围"):
        assert item in answer.text
    _check_citations(answer)


def test_explain_question_reads_on_after_the_best_sentence(service: QAService) -> None:
    answer = service.ask("襄阳高新区对新能源产业有什么部署?")
    assert "钒储能产业园" in answer.text
    _check_citations(answer)


def test_numbers_are_never_altered(service: QAService) -> None:
    for question in (
        "襄阳高新区到2025年高新技术企业数量目标是多少?",
        "新乡高新区的氢能目标是什么",
        "新乡高新区高新技术企业总数达到多少家?",
    ):
        answer = service.ask(question)
        cited_text = " ".join(c.hit.chunk.text for c in answer.citations)
        body = re.sub(r"\[\d+\]", "", answer.text.split("\n", 1)[-1])
        assert NUMBER.search(body)
        for number in NUMBER.findall(body):
            assert number in cited_text, (question, number)


def test_a_year_the_documents_do_not_state_is_declined(service: QAService) -> None:
    answer = service.ask("新乡高新区2030年的地区生产总值目标是多少?")
    assert answer.abstained
    assert answer.text == NOT_FOUND
    assert answer.citations == ()
    assert answer.hits  # the closest passages stay available as 可能相关


def test_a_plan_states_the_last_year_of_its_period_without_writing_it(
    service: QAService,
) -> None:
    answer = service.ask("新乡高新区到2025年要建设几座加氢站?")
    assert not answer.abstained
    assert "3-5座加氢站" in answer.text


def test_only_an_undated_sentence_speaks_of_its_plan_period() -> None:
    text = "建设3-5座加氢站。2020年建成加氢站1座。十三五期间建成加氢站1座。"
    hits = [_hit(text, text, ("第二节",), 1)]
    asked = query("到2025年建设多少座加氢站?")

    def year_missing(periods: dict[str, str]) -> list[float]:
        found = candidates(asked, hits, [], None, LEXICAL_EVIDENCE, periods)
        return [c.feature("year_missing") for c in found]

    assert year_missing({"plan.txt": "2021-2025"}) == [0.0, 1.0, 1.0]
    assert year_missing({"plan.txt": "2016-2020"}) == [1.0, 1.0, 1.0]
    assert year_missing({}) == [1.0, 1.0, 1.0]


def test_a_zone_no_document_concerns_is_declined(service: QAService) -> None:
    answer = service.ask("东莞松山湖高新区的氢能目标是什么?")
    assert answer.abstained
    assert any("东莞松山湖高新区" in n for n in answer.notices)


def test_question_without_region_is_answered_per_region(service: QAService) -> None:
    answer = service.ask("氢能产业有什么规划?")
    assert not answer.abstained
    assert MIXED_REGIONS in answer.notices
    assert "【新乡高新区】" in answer.text and "【襄阳高新区】" in answer.text
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    _check_citations(answer)


def test_answer_groups_sentences_under_document_title_and_date(service: QAService) -> None:
    answer = service.ask("新乡高新区的氢能目标是什么")
    first_line = answer.text.splitlines()[0]
    assert first_line.startswith("《新乡高新区国民经济和社会发展第十四个五年规划纲要》")
    assert "2021-10-14" in first_line


def compose(question: str, hits: list[Hit]) -> tuple[str, list[int]]:
    """The answer text composed from `hits`, and the ranks of the passages it cites."""
    q = query(question)
    found = candidates(q, hits, [], None, LEXICAL_EVIDENCE)
    chosen = choose(q, found, hits, AnswerSettings(), LEXICAL_EVIDENCE)
    citations, text = cite(lines(q, chosen, hits), hits, {})
    return text, [c.hit.rank for c in citations]


def _hit(
    doc_text: str, part: str, section: tuple[str, ...], rank: int, score: float | None = None
) -> Hit:
    start = doc_text.index(part)
    chunk = Chunk(f"c{rank}", "plan.txt", "规划", "", section, start, start + len(part), part, part)
    return Hit(chunk, 1.0 / rank if score is None else score, rank)


def test_list_items_are_gathered_over_every_passage_of_their_section() -> None:
    first = "2.发展原则。——坚持质量优先和稳定增长相统筹。牢牢把握高质量发展。——坚持创新驱动。"
    second = "牢牢把握发展定位。——坚持深化改革和开放合作相联动。牢牢把握改革开放。"
    other = "第八章。加强党的领导,把党的领导贯穿规划发展全过程。"
    text = first + second + other
    section = ("第一章", "2.发展原则")
    hits = [_hit(text, first, section, 1), _hit(text, second, section, 2)]
    hits.append(_hit(text, other, ("第八章",), 3))
    question = "发展原则有哪些"
    text, ranks = compose(question, hits)
    for item in ("坚持质量优先和稳定增长相统筹", "坚持创新驱动", "坚持深化改革和开放合作相联动"):
        assert item in text
    assert "党的领导" not in text
    assert ranks == [1, 2]


def test_a_labelled_item_counts_but_a_lead_in_does_not() -> None:
    first = "1.构建“一线、一组团、多点”新格局。优化“一线”:建设滨江公园。"
    second = "提升“一组团”:建设中央活力区。重点包括:完善商圈配套。"
    text = first + second
    section = ("第二章", "1.构建“一线、一组团、多点”新格局")
    hits = [_hit(text, first, section, 1), _hit(text, second, section, 2)]
    question = "“一线、一组团、多点”具体指什么"
    text, _ = compose(question, hits)
    assert "优化“一线”" in text and "提升“一组团”" in text


def test_a_section_whose_heading_names_the_question_answers_as_a_whole() -> None:
    body = (
        "(三十一)深入实施乡村振兴战略。加快补齐基础设施短板。"
        "到2025年全区100%行政村达到美丽宜居村标准。大力发展现代农业,落实乡村振兴目标举措。"
    )
    hits = [_hit(body, body, ("九、民生", "(三十一)深入实施乡村振兴战略"), 1)]
    question = "乡村振兴方面提出了哪些目标和举措"
    text, _ = compose(question, hits)
    assert "100%行政村" in text and "加快补齐基础设施短板" in text


def test_another_passage_that_only_repeats_the_question_is_not_cited() -> None:
    answer_part = "建设六个高新:创新高新、实力高新、开放高新、数字高新、绿色高新、幸福高新。"
    echo = "党员队伍是推进“六个高新”建设的根本保障。"
    text = echo + answer_part
    # Retrieved with close scores: the enumeration of six answers, the echo adds nothing.
    hits = [_hit(text, echo, ("第九章",), 1, 0.033), _hit(text, answer_part, ("第二章",), 2, 0.032)]
    question = "“六个高新”是指哪六个"
    text, ranks = compose(question, hits)
    assert "幸福高新" in text
    assert "根本保障" not in text
    assert ranks == [2]


def test_sub_items_join_an_inline_enumeration_only_when_each_items_details_are_asked() -> None:
    intro = "做强新一代电子信息、智能装备制造、现代农业三大产业集群,到2025年实现产值1200亿元。"
    item = "1.以中兴通讯为龙头打造新一代电子信息600亿级产业集群。"
    text = intro + item
    hits = [
        _hit(text, intro, ("第四章", "第一节 构筑千亿级产业集群"), 1),
        _hit(text, item, ("第四章", "第一节 构筑千亿级产业集群", item[:-1]), 2),
    ]
    for question, wanted in (("三大产业集群是哪些", False), ("三大产业集群各自的规模", True)):
        text, _ = compose(question, hits)
        assert ("600亿级" in text) is wanted, question


def test_a_question_about_one_inline_item_gets_that_item_not_its_siblings() -> None:
    body = (
        "2.打造一流营商环境。一是高标准推进“放管服”改革。转变服务理念,提升利企便民水平。"
        "二是深化商事制度和“证照分离”改革。实行告知承诺,让信息多跑路、让企业少跑腿。"
        "三是健全制度化监管机制。推进“双随机,一公开”监管。"
    )
    hits = [_hit(body, body, ("二、工作内容", "2.打造一流营商环境"), 1)]
    text, _ = compose("深化商事制度和“证照分离”改革有哪些做法", hits)
    assert "告知承诺" in text
    assert "放管服" not in text and "双随机" not in text


def test_a_list_question_gets_every_sibling_item_though_one_item_enumerates_its_own_details() -> (
    None
):
    first = "1．工业机器人。重点发展焊接、搬运、喷涂等工业机器人整机。"
    second = "2．高端数控机床。支持企业突破数控系统。"
    third = "3．智能农机装备。推动拖拉机智能化升级。"
    text = first + second + third
    parent = ("一、智能装备产业", "（一）发展方向")
    hits = [
        _hit(text, part, (*parent, part.split("。")[0]), rank)
        for rank, part in enumerate((first, second, third), start=1)
    ]
    answer, ranks = compose("智能装备产业重点发展哪些方向", hits)
    for item in ("工业机器人", "高端数控机床", "智能农机装备"):
        assert item in answer
    assert ranks == [1, 2, 3]


def test_an_item_whose_heading_names_the_question_is_answered_without_its_siblings() -> None:
    green = "3.在绿色发展上面临的挑战。空气质量多次在全市垫底,PM10、PM2.5、优良天数比例均超标。"
    shared = "5.在共享发展上面临的挑战。公共服务供给水平不高,教育、文化、医疗资源不足。"
    text = green + shared
    parent = ("第二章", "第二节 面临的挑战")
    hits = [
        _hit(text, green, (*parent, "3.在绿色发展上面临的挑战"), 1),
        _hit(text, shared, (*parent, "5.在共享发展上面临的挑战"), 2),
    ]
    answer, ranks = compose("在绿色发展上面临哪些挑战", hits)
    assert "空气质量" in answer
    assert "公共服务" not in answer
    assert ranks == [1]


def _table_hit(rows: list[tuple[str, str, str, str]]) -> Hit:
    """A passage holding an indicator table flattened one cell per line, as sources do."""
    lines, cells_of = [], []
    at = 0
    for row in rows:
        cells = []
        for value in row:
            cells.append(Cell(value, at, at + len(value)))
            lines.append(value)
            at += len(value) + 1
        cells_of.append(TableRow(cells[0].start, cells[-1].end, tuple(cells)))
    text = "\n".join(lines)
    columns = ("指标", "单位", "2020年", "2025年目标")
    table = Table(0, len(text), "", columns, tuple(cells_of))
    chunk = Chunk(
        "t", "plan.txt", "规划", "", ("二、发展目标",), 0, len(text), text, text, table=table
    )
    return Hit(chunk, 1.0, 1)


def test_a_question_naming_one_indicator_gets_its_row_not_the_whole_column() -> None:
    hit = _table_hit(
        [
            ("规模以上工业总产值", "亿元", "1680", "2800"),
            ("高新技术企业数量", "家", "520", "900"),
            ("境内外上市企业数量", "家", "14", "25"),
            ("研发经费投入强度", "%", "3.8", "4.5"),
        ]
    )
    q = query("2025年高新技术企业数量目标是多少")
    # However close the rows score (every row has the asked 2025年目标 column), only the
    # row the question names is quoted.
    weights = dataclasses.replace(LEXICAL_EVIDENCE, keep_same_passage=1000.0)
    found = candidates(q, [hit], [], None, weights)
    chosen = choose(q, found, [hit], AnswerSettings(), weights)
    _, answer = cite(lines(q, chosen, [hit]), [hit], {})
    assert "高新技术企业数量 | 家 | 2025年目标 900" in answer
    for other in ("2800", "25[", "4.5"):
        assert other not in answer


ITEMS_PLAN = """洛阳高新区智能装备产业发展规划

第一章 发展重点
一、智能装备产业
（一）发展方向
1．工业机器人。重点发展焊接、搬运、喷涂等工业机器人整机。
2．高端数控机床。支持企业突破高精度数控系统和精密主轴。
3．智能农机装备。推动拖拉机、收获机械智能化升级。
4．增材制造装备。发展金属三维打印装备及专用材料。
5．智能检测装备。发展在线检测仪器和视觉检测系统。
6．工业控制系统。发展可编程控制器和分布式控制系统。
7．智能传感器。发展压力、温度等高端传感器。
"""


def test_a_list_question_reads_every_item_of_the_heading_it_names(
    tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path
) -> None:
    # Seven one-paragraph item sections: more than the passages an answer reads at first.
    folder = tmp_path_factory.mktemp("items")
    (folder / "docs").mkdir()
    (folder / "docs" / "luoyang.txt").write_text(ITEMS_PLAN, encoding="utf-8")
    index, settings = build_small_index(folder, tiny_model_dir)
    answer = QAService(open_index(index), settings).ask("洛阳高新区智能装备产业重点发展哪些方向")
    for item in ITEMS_PLAN.splitlines()[5:]:
        assert item.split("。")[0] in answer.text
    assert len(answer.citations) >= 7
