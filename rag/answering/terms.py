"""Character-bigram terms and their weights: how much of a question a piece of text states.

Chinese has no spaces, and staff rarely use the document's exact words, so sentences and
headings are matched against a question by shared character bigrams, each weighted by its
inverse document frequency over the indexed passages: a bigram every passage of a plan
shares (发展, 建设) says little about which sentence answers; a rare one (氢能, 孵化) says much.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_FIGURE = re.compile(r"\d+(?:\.\d+)?")
_LATIN = re.compile(r"[A-Za-z]{2,}")


def bigrams(text: str) -> set[str]:
    """Character bigrams within runs of CJK characters, plus whole numbers and Latin words."""
    grams: set[str] = set()
    for run in _CJK_RUN.findall(text):
        if len(run) == 1:
            grams.add(run)
        grams.update(run[i : i + 2] for i in range(len(run) - 1))
    grams.update(m.group(0) for m in _FIGURE.finditer(text))
    grams.update(w.lower() for w in _LATIN.findall(text))
    return grams


@dataclass(frozen=True)
class TermWeights:
    """Inverse document frequency of bigrams over the indexed passages."""

    idf: Mapping[str, float]
    unseen: float  # the weight of a bigram no passage uses

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> TermWeights:
        """Weights from passage texts (one document frequency count per passage)."""
        df: Counter[str] = Counter()
        n = 0
        for text in texts:
            df.update(bigrams(text.lower()))
            n += 1
        return cls.from_counts(df, n)

    @classmethod
    def from_counts(cls, df: Mapping[str, int], passages: int) -> TermWeights:
        """Weights from saved document frequencies (what a build records)."""
        idf = {g: math.log(1 + passages / count) for g, count in df.items() if count}
        return cls(idf, math.log(1 + passages))

    def weight(self, gram: str) -> float:
        """The bigram's weight; unseen bigrams weigh most."""
        return self.idf.get(gram, self.unseen)

    def known(self, gram: str) -> bool:
        """Whether any indexed passage uses the bigram."""
        return gram in self.idf


UNIFORM = TermWeights({}, 1.0)


def weighted_share(terms: Mapping[str, float], text: str) -> float:
    """Share of the terms' total weight that `text` contains (0 when there are no terms)."""
    total = sum(terms.values())
    if not total:
        return 0.0
    return sum(w for g, w in terms.items() if g in text) / total
