"""Question profiles: the kind of answer asked for, how many items, and per-item details."""

from __future__ import annotations

from rag.answering.question import FACT, LIST, TARGET, profile


def test_a_target_question_is_not_taken_for_a_list() -> None:
    assert profile("新乡高新区的氢能目标是什么").kind == TARGET
    assert profile("新乡高新区的发展定位是什么").kind == LIST
    assert profile("“十三五”期间地区生产总值达到多少").kind == FACT


def test_the_number_of_items_a_question_names() -> None:
    assert profile("新乡高新区的四大主导产业是什么").count == 4
    assert profile("“六个高新”是指哪六个").count == 6
    assert profile("保障措施有哪些").count == 0


def test_asking_for_each_items_details() -> None:
    assert profile("三大产业集群是哪些?各自的规模目标是多少?").per_item
    assert not profile("三大产业集群是哪些?").per_item
