"""The question as one value: read once, then passed to retrieval, composition and abstention.

`QueryAnalyzer` is built once per opened index from its documents' metadata and term
statistics; `analyze` turns the raw question into a frozen `Query`. Nothing else reads the
question string for meaning: every later step reads the Query's fields.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from rag import lexicon as lx
from rag.answering import asks
from rag.answering.asks import EXPLAIN
from rag.answering.names import NameMatcher, TitleIndex
from rag.answering.scope import FILTER, QUESTION, Scope
from rag.answering.terms import TermWeights, bigrams, weighted_share
from rag.config import QuerySettings
from rag.reading.metadata import region_aliases
from rag.types import DocMeta

MAX_QUESTION_CHARS = 2000

_NUMBER = re.compile(lx.NUMBER_CUES)
_PER_ITEM = re.compile(lx.PER_ITEM_CUES)
_COUNT = re.compile(lx.COUNT_CUE)
_YEAR = re.compile(lx.YEAR_CUE)
_FILLER = re.compile(
    "|".join(map(re.escape, sorted(lx.FILLER_WORDS, key=len, reverse=True)))
    + f"|[{re.escape(lx.FILLER_MARKS)}\\s]"
)
_DOC_NUMBER = re.compile(lx.DOC_NUMBER_IN_TEXT)
_LEADING_ZONE = re.compile(lx.LEADING_ZONE)
_MARKUP = re.compile(lx.MARKUP, re.IGNORECASE)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_PERIOD_MENTION = re.compile(
    rf"[“\"]?(?:{lx.PLAN_SHORT.pattern}|{lx.PLAN_LONG.pattern})[”\"]?{lx.PERIOD_SUFFIX}"
)


class QuestionError(ValueError):
    """A question that cannot be searched (empty, or too long)."""


@dataclass(frozen=True)
class Query:
    """What a question asks, where, and in which words: every step after analysis reads this."""

    text: str  # the question as asked, stripped
    scope: Scope = field(default_factory=Scope)
    scope_words: tuple[str, ...] = ()  # how it names its scope (aliases, title runs, 十四五规划)
    period: str = ""  # the plan period it names, e.g. "2021-2025"
    years: tuple[str, ...] = ()  # years it pins down (2019年 → "2019")
    wants: str = EXPLAIN  # NUMBER, LIST, TARGET or EXPLAIN
    asks_figure: bool = False  # 多少/几/比例 …, also inside a list question (各自多少)
    measure: str = (
        ""  # what the figure is counted in, when the question says (多少家 → 家, 比例 → %)
    )
    count: int = 0  # how many items it says there are (四大 → 4), or 0
    per_item: bool = False  # asks for each item's own details (各自/分别)
    time_scopes: frozenset[str] = frozenset()  # lexicon TARGET / ACHIEVEMENT / LONG_RANGE
    terms: tuple[tuple[str, float], ...] = ()  # key bigrams and their weights
    unknown_terms: frozenset[str] = frozenset()  # key bigrams no indexed passage uses
    search_terms: tuple[str, ...] = ()  # BM25 terms
    content_terms: tuple[tuple[str, float], ...] = ()  # its words naming what is asked, weighted
    expansions: tuple[
        str, ...
    ] = ()  # full forms of the abbreviations it uses (高企 → 高新技术企业)
    unknown_place: str = ""  # a zone it names that no indexed document concerns
    problem: str = ""  # why the text is not a question at all; "" when it is one

    @cached_property
    def term_weights(self) -> dict[str, float]:
        """The key bigrams with their weights, as a mapping."""
        return dict(self.terms)

    @property
    def grams(self) -> frozenset[str]:
        """The key bigrams every sentence and heading is matched against."""
        return frozenset(self.term_weights)

    def share(self, text: str) -> float:
        """Weighted share of the question's key terms that `text` states (0–1)."""
        return weighted_share(self.term_weights, text.lower())

    @property
    def regions_named(self) -> tuple[str, ...]:
        """The regions the question (not a filter) names."""
        return self.scope.regions if self.scope.source == QUESTION else ()

    @property
    def compares(self) -> bool:
        """Whether it names two regions or more, to be answered side by side."""
        return len(self.scope.regions) > 1


def validate_question(question: str) -> str:
    """The question stripped, or QuestionError saying what is wrong with it."""
    stripped = question.strip()
    if not stripped:
        raise QuestionError("question is empty: type a question about the documents")
    if len(stripped) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"question is {len(stripped)} characters long; shorten it to at most "
            f"{MAX_QUESTION_CHARS}"
        )
    return stripped


class QueryAnalyzer:
    """Reads questions against one index: its regions, titles, numbers, periods and terms."""

    def __init__(
        self,
        docs: Mapping[str, DocMeta],
        weights: TermWeights,
        tokenize: Callable[[str], list[str]],
        known_term: Callable[[str], bool],
        settings: QuerySettings,
        scoping: bool = True,
    ) -> None:
        """Build the name matchers once; `known_term` says whether the index uses a term.

        With `scoping` off (a comparison configuration) the regions and documents a
        question names do not limit its search; explicit filters still do.
        """
        self.settings = settings
        self.scoping = scoping
        self._docs = dict(docs)
        self._weights = weights
        self._tokenize = tokenize
        self._known_term = known_term
        regions = sorted({m.region for m in docs.values() if m.region})
        self._aliases = {r: region_aliases(r) for r in regions}
        self._region_of = NameMatcher({a: r for r in reversed(regions) for a in self._aliases[r]})
        self._titles = TitleIndex(
            {p: _without(m.title, self._aliases.get(m.region, ())) for p, m in docs.items()},
            settings.title_gram_max_docs,
        )
        self._by_number: dict[str, list[str]] = {}
        self._by_period: dict[str, list[str]] = {}
        self._by_region: dict[str, list[str]] = {}
        for path, meta in sorted(docs.items()):
            if meta.doc_number:
                self._by_number.setdefault(meta.doc_number, []).append(path)
            if meta.period:
                self._by_period.setdefault(meta.period, []).append(path)
            self._by_region.setdefault(meta.region, []).append(path)

    @property
    def regions(self) -> list[str]:
        """Every region the index holds documents of."""
        return sorted(self._aliases)

    def region_mentions(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, region) of each place `text` names a region of the index."""
        return self._region_of.find(text)

    def display_name(self, region: str) -> str:
        """A region as a question names it: 广州市黄埔区/广州开发区 → 广州市黄埔区."""
        return region.split("/")[0]

    def analyze_terms(self, text: str) -> frozenset[str]:
        """The key bigrams of a fragment of text, question words left out."""
        return frozenset(bigrams(_FILLER.sub(" ", text)))

    def analyze(self, question: str, region: str | None = None, doc: str | None = None) -> Query:
        """The Query for a question, within an explicit region/document filter if given."""
        text = validate_question(question)
        problem = self._problem(text)
        if problem:
            return Query(text, problem=problem)
        scope, words, period = self._scope(text, region, doc)
        expansions = asks.expansions(text)
        key = _FILLER.sub(" ", _without(text, words)) + " " + " ".join(expansions)
        grams = sorted(bigrams(key))
        terms = tuple((g, self._weights.weight(g)) for g in grams)
        tokens = self._tokenize(" ".join([text, *expansions]))
        search = tuple(
            t for t in tokens if t not in lx.QUESTION_TERMS and not any(t in w for w in words)
        )
        asks_figure = bool(_NUMBER.search(text))
        counts = [lx.cn_number(m.group(1)) or 0 for m in _COUNT.finditer(text)]
        return Query(
            text=text,
            scope=scope,
            scope_words=words,
            period=period,
            years=tuple(dict.fromkeys(lx.year_number(y) for y in _YEAR.findall(text))),
            wants=asks.wants(text, asks_figure),
            asks_figure=asks_figure,
            measure=asks.measure(text) if asks_figure else "",
            count=max(counts, default=0),
            per_item=bool(_PER_ITEM.search(text)),
            time_scopes=asks.time_scopes(text),
            terms=terms,
            unknown_terms=frozenset(g for g in grams if not self._weights.known(g)),
            search_terms=search,
            content_terms=self._content_terms(search),
            expansions=expansions,
            unknown_place=self._unknown_place(text),
        )

    def _content_terms(self, search: Sequence[str]) -> tuple[tuple[str, float], ...]:
        """Search terms of two characters or more, each weighted by its rarest bigram."""
        words = dict.fromkeys(t for t in search if len(t) > 1)
        return tuple(
            (t, max(self._weights.weight(g) for g in bigrams(t))) for t in words if bigrams(t)
        )

    def _problem(self, text: str) -> str:
        """Why `text` is no question: markup only, no Chinese, or one piece repeated."""
        plain = _MARKUP.sub(" ", text)
        if not _CJK.search(plain):
            return "no Chinese words" if plain.strip() else "markup only"
        grams = [plain[i : i + 2] for i in range(len(plain) - 1)]
        s = self.settings
        repetitive = grams and len(set(grams)) / len(grams) < s.min_distinct_bigrams
        if len(plain) >= s.repetition_min_chars and repetitive:
            return "one piece of text repeated"
        return ""

    def _scope(
        self, text: str, region: str | None, doc: str | None
    ) -> tuple[Scope, tuple[str, ...], str]:
        """The scope, the words that name it, and the plan period the question names."""
        periods = _periods_named(text)
        period = periods[0][1] if periods else ""
        if region or doc:
            scope = Scope(tuple(filter(None, [region])), tuple(filter(None, [doc])), FILTER)
            return scope, self._scope_words(text, scope, periods, []), period
        if not self.scoping:
            return Scope(), self._scope_words(text, Scope(), periods, []), period
        regions = tuple(dict.fromkeys(r for _, _, r in self._region_of.find(text)))
        candidates = [p for r in regions for p in self._by_region.get(r, [])] or sorted(self._docs)
        docs, runs = self._docs_named(text, candidates, periods)
        if not regions and not docs:
            return Scope(), self._scope_words(text, Scope(), periods, []), period
        scope = Scope(regions, docs, QUESTION)
        return scope, self._scope_words(text, scope, periods, runs), period

    def _docs_named(
        self, text: str, candidates: Sequence[str], periods: Sequence[tuple[str, str]]
    ) -> tuple[tuple[str, ...], list[str]]:
        """Documents named by 文号, by a distinctive title run, or by the plan period."""
        numbers = {m.group(0) for m in _DOC_NUMBER.finditer(text)}
        by_number = [p for n in sorted(numbers) for p in self._by_number.get(n, [])]
        if by_number:
            return tuple(by_number), []
        if len(candidates) > 1:
            named, runs = self._titles.named(text, self.settings.title_run_chars, candidates)
            if named:
                return (named,), runs
        wanted = {p for _, period in periods for p in self._by_period.get(period, [])}
        of_period = tuple(p for p in candidates if p in wanted)
        return (of_period if len(of_period) < len(candidates) else ()), []

    def _scope_words(
        self,
        text: str,
        scope: Scope,
        periods: Sequence[tuple[str, str]],
        title_runs: Sequence[str],
    ) -> tuple[str, ...]:
        """Region aliases, title runs and the period mentions of plans in scope.

        They say where to look, not what to find: in a 十四五 plan the passages that repeat
        “十四五” are about carrying out the plan, not its content.
        """
        words = [a for r in scope.regions for a in self._aliases.get(r, ())]
        in_scope = {
            m.period for p, m in self._docs.items() if scope.allows(p, m.region) and m.period
        }
        words += [mention for mention, period in periods if period in in_scope]
        words += list(title_runs)
        return tuple(sorted(set(words), key=len, reverse=True))

    def _unknown_place(self, text: str) -> str:
        """A zone the question leads with that no indexed document concerns or mentions."""
        m = _LEADING_ZONE.match(text)
        if m is None or set(m.group(1)) & lx.NOT_IN_PLACE_NAMES:
            return ""  # 各高新区, 全区: no place named
        stem, name = m.group(1), m.group(1) + m.group(2)
        for aliases in self._aliases.values():
            if any(a in name or name in a or a.startswith(stem) for a in aliases):
                return ""
        if all(self._known_term(t) for t in self._tokenize(stem)):
            return ""  # a place the documents mention (广州高新区 in 黄埔's plan)
        return name


def _without(text: str, words: Sequence[str]) -> str:
    """`text` with each of `words` (longest first) blanked out."""
    for word in sorted(words, key=len, reverse=True):
        text = text.replace(word, " ")
    return text


def _periods_named(text: str) -> list[tuple[str, str]]:
    """(mention, period) of each plan period the text names: (“十四五”规划, 2021-2025)."""
    found: list[tuple[str, str]] = []
    for m in _PERIOD_MENTION.finditer(text):
        plans = lx.plans_named(m.group(0))
        if plans:
            found.append((m.group(0), lx.period_of_plan(plans[0])))
    return found
