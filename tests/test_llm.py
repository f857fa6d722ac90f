"""The generative answer path against a real local chat-completions server."""

from __future__ import annotations

import time

import pytest

from index.llm_client import ChatClient, LLMError
from rag.answering.llm import ABSTAIN_TEXT, answer_with_llm, build_messages, check_answer
from rag.types import Answer, Chunk, Citation, DocMeta, Hit
from tests.llm_server import Behaviour, LLMServer

QUESTION = "新乡高新区计划培育多少家燃料电池电堆企业？"

# (doc, title, region, section, offset of the passage in its source, passage text)
PASSAGES = [
    (
        "001.txt",
        "新乡高新区国民经济和社会发展第十四个五年规划和二〇三五年远景目标纲要",
        "新乡高新区",
        ("第三章 构建现代产业体系", "第二节 氢能与燃料电池"),
        1200,
        "力争培育具有影响力的燃料电池电堆企业1-2家，动力系统企业2-3家，"
        "关键装备及零部件企业6-10家。到2025年，氢能产业总产值突破100亿元。",
    ),
    (
        "003.txt",
        "新乡市“十四五”科技创新规划",
        "新乡市",
        ("第二章 主要目标",),
        5400,
        "到2025年，新增国家级重点实验室1-2家，研发投入强度达到2.5%。建成5G基站3,000座。",
    ),
    (
        "004.txt",
        "新乡高新区“十四五”工业发展规划（2021—2025年）",
        "新乡高新区",
        (),
        80,
        "全区规模以上工业增加值年均增长8%左右。",
    ),
]
DOCS = {
    "001.txt": DocMeta(date="2021-10-14", doc_number="新开〔2021〕91号"),
    "003.txt": DocMeta(date="2022-03-01"),
}


def _hits() -> list[Hit]:
    hits = []
    for rank, (doc, title, region, section, start, text) in enumerate(PASSAGES, start=1):
        chunk = Chunk(
            chunk_id=f"c{rank}",
            doc=doc,
            title=title,
            region=region,
            section=section,
            start=start,
            end=start + len(text),
            text=text,
            index_text=f"{title}\n{text}",
        )
        hits.append(Hit(chunk=chunk, score=1.0 / rank, rank=rank))
    return hits


HITS = _hits()
FALLBACK = Answer(
    question=QUESTION,
    text="力争培育具有影响力的燃料电池电堆企业1-2家。[1]",
    citations=(Citation(1, HITS[0], ((1200, 1228),)),),
    abstained=False,
    hits=tuple(HITS),
)


@pytest.fixture(scope="module")
def server():
    with LLMServer() as srv:
        yield srv


@pytest.fixture
def llm(server: LLMServer) -> LLMServer:
    """The shared server, reset to a fresh behaviour and request log for each test."""
    server.behaviour = Behaviour()
    server.requests.clear()
    server.api_key = ""
    return server


def _client(srv: LLMServer, timeout_s: float = 5.0, **kwargs: object) -> ChatClient:
    return ChatClient(srv.base_url, "test-model", timeout_s=timeout_s, **kwargs)


def _answer(srv: LLMServer, reply: str | None = None, **kwargs: object) -> list:
    if reply is not None:
        srv.behaviour.reply = reply
    return list(answer_with_llm(QUESTION, HITS, _client(srv, **kwargs), FALLBACK, DOCS))


def _assert_fallback(final: object, notice_part: str) -> None:
    assert isinstance(final, Answer)
    assert final.mode == "extractive"
    assert (final.text, final.citations, final.hits) == (
        FALLBACK.text,
        FALLBACK.citations,
        FALLBACK.hits,
    )
    assert len(final.notices) == 1
    assert "已改为原文摘录" in final.notices[0]
    assert notice_part in final.notices[0]


def test_prompt_lists_every_passage_with_its_number_and_the_rules(llm: LLMServer) -> None:
    llm.behaviour.echo_cite = True
    _answer(llm, temperature=0.2)
    (request,) = llm.requests
    assert request.path == "/v1/chat/completions"
    assert request.body["model"] == "test-model"
    assert request.body["stream"] is True
    assert request.body["temperature"] == 0.2
    system, user = request.body["messages"]
    assert system["role"] == "system" and user["role"] == "user"
    for rule in ("只根据所给材料回答", "[n]", "完全一致", ABSTAIN_TEXT):
        assert rule in system["content"]
    content = user["content"]
    positions = []
    for n, hit in enumerate(HITS, start=1):
        header = f"[{n}] 文件：《{hit.chunk.title.strip('《》')}》"
        assert header in content
        assert hit.chunk.text in content
        assert hit.chunk.section_path in content
        positions.append(content.index(header))
    assert positions == sorted(positions)
    assert "日期：2021-10-14" in content and "文号：新开〔2021〕91号" in content
    assert "日期：2022-03-01" in content
    assert content.rstrip().endswith("数字照抄原文。") and QUESTION in content


def test_streamed_answer_keeps_checked_citations_and_spans(llm: LLMServer) -> None:
    llm.behaviour.echo_cite = True
    items = _answer(llm)
    *deltas, final = items
    assert len(deltas) > 5 and all(isinstance(d, str) for d in deltas)
    assert isinstance(final, Answer)
    assert final.mode == "llm" and not final.abstained and final.notices == ()
    assert final.text == "".join(deltas)
    assert [c.n for c in final.citations] == [1, 2, 3]
    assert [c.hit for c in final.citations] == HITS
    for citation in final.citations:
        chunk = citation.hit.chunk
        ((start, end),) = citation.spans
        first_sentence = chunk.text[: chunk.text.index("。") + 1]
        assert chunk.text[start - chunk.start : end - chunk.start] == first_sentence
    assert final.hits == FALLBACK.hits


def test_complete_returns_the_whole_reply_without_streaming(llm: LLMServer) -> None:
    llm.behaviour.echo_cite = True
    messages = build_messages(QUESTION, HITS, DOCS)
    text = _client(llm).complete(messages)
    assert llm.requests[-1].body["stream"] is False
    assert text.startswith("力争培育具有影响力的燃料电池电堆企业1-2家")
    assert check_answer(text, HITS, DOCS) == []


def test_citations_are_renumbered_in_order_of_first_use(llm: LLMServer) -> None:
    final = _answer(llm, "研发投入强度达到2.5%[2]。电堆企业的目标是1-2家【1】，另见[2, 1]。")[-1]
    assert final.mode == "llm"
    assert final.text == "研发投入强度达到2.5%[1]。电堆企业的目标是1-2家[2]，另见[1][2]。"
    assert [(c.n, c.hit) for c in final.citations] == [(1, HITS[1]), (2, HITS[0])]


def test_citation_out_of_range_falls_back_with_notice(llm: LLMServer) -> None:
    items = _answer(llm, "力争培育具有影响力的燃料电池电堆企业1-2家[7]。")
    assert isinstance(items[0], str)
    _assert_fallback(items[-1], "[7]")


def test_number_absent_from_the_cited_passage_falls_back(llm: LLMServer) -> None:
    final = _answer(llm, "新乡高新区力争培育燃料电池电堆企业5家[1]。")[-1]
    _assert_fallback(final, "“5”")


def test_number_from_another_passage_than_the_cited_one_falls_back(llm: LLMServer) -> None:
    final = _answer(llm, "研发投入强度达到2.5%[1]。")[-1]
    _assert_fallback(final, "“2.5%”不在所引材料[1]中")


def test_uncited_sentence_falls_back(llm: LLMServer) -> None:
    final = _answer(llm, "电堆企业目标为1-2家[1]。这体现了新乡高新区发展氢能产业的决心。")[-1]
    _assert_fallback(final, "第2句没有引用")


def test_model_abstention_is_an_abstained_llm_answer(llm: LLMServer) -> None:
    final = _answer(llm, ABSTAIN_TEXT)[-1]
    assert final.mode == "llm" and final.abstained
    assert final.text == ABSTAIN_TEXT and final.citations == ()


def test_server_error_falls_back_and_reports_status_and_message(llm: LLMServer) -> None:
    llm.behaviour.status = 500
    llm.behaviour.error_message = "model overloaded"
    with pytest.raises(LLMError, match=r"^HTTP 500: model overloaded"):
        list(_client(llm).stream([{"role": "user", "content": "hi"}]))
    _assert_fallback(_answer(llm)[-1], "HTTP 500")


def test_server_silent_beyond_timeout_falls_back_in_time(llm: LLMServer) -> None:
    llm.behaviour.delay_first_s = 10.0
    began = time.monotonic()
    final = _answer(llm, timeout_s=0.5)[-1]
    elapsed = time.monotonic() - began
    _assert_fallback(final, "0.5 s")
    assert 0.4 < elapsed < 1.5


def test_trickling_stream_is_cut_at_the_deadline(llm: LLMServer) -> None:
    llm.behaviour.echo_cite = True
    llm.behaviour.delay_between_s = 0.1  # each chunk is quick, the whole reply is not
    began = time.monotonic()
    items = _answer(llm, timeout_s=0.6)
    elapsed = time.monotonic() - began
    assert any(isinstance(item, str) for item in items[:-1])
    _assert_fallback(items[-1], "0.6 s")
    assert elapsed < 1.2


@pytest.mark.parametrize("stream", [True, False])
def test_malformed_reply_is_an_llm_error(llm: LLMServer, stream: bool) -> None:
    llm.behaviour.malformed = True
    client = _client(llm)
    messages = [{"role": "user", "content": "hi"}]
    with pytest.raises(LLMError, match="malformed"):
        list(client.stream(messages)) if stream else client.complete(messages)


def test_stream_cut_off_before_done_is_an_llm_error(llm: LLMServer) -> None:
    llm.behaviour.cut_off = True
    with pytest.raises(LLMError, match="cut off"):
        list(_client(llm).stream([{"role": "user", "content": "hi"}]))


def test_api_key_is_sent_as_bearer_token(llm: LLMServer) -> None:
    llm.api_key = "sk-local"
    messages = [{"role": "user", "content": "hi"}]
    with pytest.raises(LLMError, match=r"^HTTP 401: Incorrect API key"):
        _client(llm, api_key="sk-wrong").complete(messages)
    assert _client(llm, api_key="sk-local").complete(messages) == ABSTAIN_TEXT
    assert llm.requests[-1].headers["Authorization"] == "Bearer sk-local"


@pytest.mark.parametrize(
    ("suffix", "path"), [("/v1", "/v1/chat/completions"), ("/", "/chat/completions")]
)
def test_base_url_is_the_part_before_chat_completions(
    llm: LLMServer, suffix: str, path: str
) -> None:
    ChatClient(llm.root_url + suffix, "m").complete([{"role": "user", "content": "hi"}])
    assert llm.requests[-1].path == path


def test_unreachable_endpoint_is_an_llm_error() -> None:
    with LLMServer() as srv:
        url = srv.base_url
    with pytest.raises(LLMError, match="failed"):
        ChatClient(url, "m", timeout_s=2).complete([{"role": "user", "content": "hi"}])


def test_no_passages_means_no_request(llm: LLMServer) -> None:
    items = list(answer_with_llm(QUESTION, [], _client(llm), FALLBACK))
    assert items == [FALLBACK] and llm.requests == []


@pytest.mark.parametrize(
    "text",
    [
        "电堆企业1-2家，动力系统企业2-3家。[1]",  # citation after the full stop
        "具体如下：\n1. 电堆企业1-2家[1]\n2. 研发投入强度达到2.5%[2]",  # lead-in and list
        "到2025年[1][2]，建成5G基站3000座[2]。",  # years and thousands separators
        "规划期为2021—2025年[3]。工业增加值年均增长8％左右[3]。",  # year range, full-width %
        "该规划的文号为新开〔2021〕91号，于2021年10月14日印发[1]。",  # header fields count
        "综上所述，\n电堆企业1~2家[1]。",
    ],
)
def test_check_answer_accepts_grounded_text(text: str) -> None:
    assert check_answer(text, HITS, DOCS) == []


@pytest.mark.parametrize(
    ("text", "violation"),
    [
        ("", "回答为空"),
        ("电堆企业1-2家[0]。", "引用[0]超出材料范围（共3段）"),
        ("新乡高新区把氢能作为未来重点产业方向。", "第1句没有引用"),
        ("动力系统企业2家[1]。", "第1句的数字“2”不在所引材料[1]中"),
        ("建成5G基站3,500座[2]。", "第1句的数字“3500”不在所引材料[2]中"),
        ("年均增长8.5%[3]。", "第1句的数字“8.5%”不在所引材料[3]中"),
    ],
)
def test_check_answer_reports_violations(text: str, violation: str) -> None:
    assert any(v.startswith(violation) for v in check_answer(text, HITS, DOCS))


def test_client_rejects_bad_settings() -> None:
    with pytest.raises(ValueError, match=r"llm\.base_url"):
        ChatClient("localhost:8000/v1", "m")
    with pytest.raises(ValueError, match=r"llm\.model"):
        ChatClient("http://localhost:8000/v1", "")


def test_highlight_is_the_sentence_quoted_cut_as_in_extractive_answers(
    llm: LLMServer,
) -> None:
    # Sentences end at 。, never at ； (a clause cut there is not quotable on its own).
    text = "推进园区建设。完善产业链条，壮大主导产业集群；力争培育燃料电池电堆企业1-2家。"
    chunk = Chunk("c9", "001.txt", "规划", "新乡高新区", (), 500, 500 + len(text), text, text)
    hit = Hit(chunk=chunk, score=1.0, rank=1)
    llm.behaviour.reply = "新乡高新区力争培育燃料电池电堆企业1-2家[1]。"
    *_, final = answer_with_llm(QUESTION, [hit], _client(llm), FALLBACK, DOCS)
    assert final.mode == "llm"
    ((start, end),) = final.citations[0].spans
    assert (
        text[start - 500 : end - 500]
        == "完善产业链条，壮大主导产业集群；力争培育燃料电池电堆企业1-2家。"
    )
