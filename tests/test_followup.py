"""Follow-up questions completed from the conversation: a region, a topic or a year taken over."""

from __future__ import annotations

import pytest

from rag.answering.followup import Rewrite, rewrite
from rag.types import DocMeta
from tests.queries import analyzer

DOCS = {
    "hy.txt": DocMeta(title="河源高新区十四五规划", region="河源高新区"),
    "xy.txt": DocMeta(title="襄阳高新区十四五规划", region="襄阳高新区"),
    "xx.txt": DocMeta(title="新乡高新区十四五规划", region="新乡高新区"),
    "hp.txt": DocMeta(title="黄埔区十四五规划建议", region="广州市黄埔区/广州开发区"),
}
ANALYZER = analyzer(DOCS)


@pytest.mark.parametrize(
    ("previous", "message", "expected"),
    [
        # Only a region: the previous topic, for that region.
        ("河源高新区的主导产业有哪些", "那襄阳呢?", "襄阳高新区的主导产业有哪些"),
        ("河源高新区的主导产业有哪些", "黄埔呢", "广州市黄埔区的主导产业有哪些"),
        ("氢能产业有什么规划", "那新乡呢", "新乡高新区氢能产业有什么规划"),
        # Only a year: the previous question about that year.
        (
            "河源高新区2019年固定资产投资是多少",
            "那2020年呢？",
            "河源高新区2020年固定资产投资是多少",
        ),
        # A topic without a region: the previous region.
        ("新乡高新区的氢能目标是什么", "其中加氢站有多少?", "新乡高新区加氢站有多少?"),
    ],
)
def test_a_message_lacking_a_topic_or_region_takes_it_from_the_conversation(
    previous: str, message: str, expected: str
) -> None:
    assert rewrite(message, previous, ANALYZER) == Rewrite(expected, rewritten=True)


@pytest.mark.parametrize(
    ("previous", "message"),
    [
        ("河源高新区的主导产业有哪些", "襄阳高新区的氢能目标是什么"),  # its own topic and region
        (None, "那襄阳呢?"),  # nothing to take over
        ("氢能产业有什么规划", "加氢站有多少"),  # no region anywhere
        ("河源高新区的主导产业有哪些", "asdf"),  # not a question at all
    ],
)
def test_a_message_naming_its_own_topic_starts_fresh(previous: str | None, message: str) -> None:
    assert rewrite(message, previous, ANALYZER) == Rewrite(message)
