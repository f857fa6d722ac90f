"""What a question asks for: its kind, its key terms, and the figures it pins down."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from functools import cached_property

FACT, LIST, TARGET, EXPLAIN = "fact", "list", "target", "explain"

_NUMBER_Q = re.compile(
    r"多少|几[个家项名座所条年位张次]?|多大|多高|比例|比重|占比|第几|排名|何时|什么时候|哪一年|哪年"
)
# "Which ones" asks for a list even when it also asks for figures (哪些 … 各自多少).
_ENUMERATION_Q = re.compile(r"哪些|哪几|包括|分别|[一二三四五六七八九十两]+[个大项类]")
_LIST_Q = re.compile(r"有什么|是什么|指什么")
_TARGET_Q = re.compile(r"目标|力争|到20[2-3]\d年|打算|计划")
# Words that shape a question but never appear in the answer.
_FILLER = re.compile(
    r"是多少|多少|是什么|什么|哪些|哪几个|哪几|哪个|怎么样|怎么|如何|有何|有没有|是否|能不能|"
    r"可以|请问|具体|分别|方面|提出|有关|关于|主要|准备|打算|计划|要求|的|了|吗|呢|吧|是|有|在|对|"
    r"和|与|及|或|指|把|让|将|被|给|各自|[?？!！,，。、:：;；“”\"'‘’《》()（）\s]"
)
# Question-shaping terms (after the tokenizer's own stopwords): they never appear in
# the passage that answers, so as BM25 terms they only reward passages that echo them.
_QUESTION_TERM_TEXT = (
    "哪几 几个 哪几个 是什么 有 要 提出 指 哪 到 让 末 多 做到 安排 准备 打算 分别 期间 "
    "时候 怎么样 具体 方面 有何 能 能不能 可以 是否 各自 情况 何时 几 一下 呢 啥"
)
QUESTION_TERMS = frozenset(_QUESTION_TERM_TEXT.split())
_YEAR = re.compile(r"(?:19|20)\d{2}(?=年)")
# "How many things" a question names: 四大主导产业, 哪六个, 三项措施.
_COUNT = re.compile(r"([两二三四五六七八九十])(?:个|大|项|类|种|条|方面)")
_PER_ITEM = re.compile(r"各自|分别|各[个项]|每[个项]")
_CN_COUNT = {c: i for i, c in enumerate("〇一二三四五六七八九十")} | {"两": 2}
_FIGURE = re.compile(r"\d+(?:\.\d+)?")


@dataclass(frozen=True)
class QuestionProfile:
    """The cues the composer and the abstention check read from a question."""

    kind: str
    wants_number: bool
    key_text: str  # the question without region names and question words
    years: tuple[str, ...]
    count: int = 0  # how many items the question says there are (四大 → 4), or 0
    per_item: bool = False  # asks for each item's own details (各自/分别)

    @cached_property
    def grams(self) -> frozenset[str]:
        """The key text's bigrams, which every sentence and heading is matched against."""
        return frozenset(bigrams(self.key_text))


def profile(question: str, region_names: Iterable[str] = ()) -> QuestionProfile:
    """Classify a question and strip it down to the words an answer would share."""
    wants_number = bool(_NUMBER_Q.search(question))
    if _ENUMERATION_Q.search(question):
        kind = LIST
    elif _TARGET_Q.search(question) and not wants_number:
        kind = TARGET  # 目标是什么 asks for targets, not for a list
    elif _LIST_Q.search(question) and not wants_number:
        kind = LIST
    elif wants_number:
        kind = FACT
    else:
        kind = EXPLAIN
    key = question
    for name in sorted(region_names, key=len, reverse=True):
        key = key.replace(name, " ")
    key = _FILLER.sub(" ", key)
    counts = [_CN_COUNT[m.group(1)] for m in _COUNT.finditer(question)]
    return QuestionProfile(
        kind,
        wants_number,
        key,
        tuple(_YEAR.findall(question)),
        max(counts, default=0),
        bool(_PER_ITEM.search(question)),
    )


def search_terms(tokens: Sequence[str], scope_names: Iterable[str] = ()) -> list[str]:
    """BM25 query terms: without question words, nor the scoped region's own name."""
    names = [n for n in scope_names if n]
    return [t for t in tokens if t not in QUESTION_TERMS and not any(t in name for name in names)]


def bigrams(text: str) -> set[str]:
    """Character bigrams within runs of CJK characters, plus whole numbers."""
    grams: set[str] = set()
    for run in re.findall(r"[\u4e00-\u9fff]+", text):
        if len(run) == 1:
            grams.add(run)
        grams.update(run[i : i + 2] for i in range(len(run) - 1))
    grams.update(m.group(0) for m in _FIGURE.finditer(text))
    grams.update(w.lower() for w in re.findall(r"[A-Za-z]{2,}", text))
    return grams


@dataclass(frozen=True)
class TermWeights:
    """Inverse document frequency of bigrams over the indexed passages.

    A bigram every passage of a document shares (its title's words) says little about
    which sentence answers; a rare one (氢能, 孵化) says much.
    """

    idf: Mapping[str, float]
    unseen: float

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> TermWeights:
        """Weights from passage texts (one document frequency count per passage)."""
        df: Counter[str] = Counter()
        n = 0
        for text in texts:
            df.update(bigrams(text.lower()))
            n += 1
        idf = {g: math.log(1 + n / count) for g, count in df.items()}
        return cls(idf, math.log(1 + n))

    def weight(self, gram: str) -> float:
        """The bigram's weight; unseen bigrams weigh most."""
        return self.idf.get(gram, self.unseen)


UNIFORM = TermWeights({}, 1.0)


def overlap(query_grams: Set[str], text: str, weights: TermWeights = UNIFORM) -> float:
    """Weighted share of the question's bigrams that the text contains (0 when none)."""
    total = sum(weights.weight(g) for g in query_grams)
    if not total:
        return 0.0
    return sum(weights.weight(g) for g in query_grams if g in text) / total
