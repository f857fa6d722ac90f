"""One jieba tokenizer for passages and questions, so BM25 terms match on both sides."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

import jieba

from rag.lexicon import CN_NUMERALS
from rag.types import Chunk

# Bump when tokens() changes, so indexes built with other tokens are rebuilt.
TOKENIZER_VERSION = "jieba-search-1"

# Function words and question words: frequent in both questions and passages,
# they carry no topic and only add noise to BM25 scores.
_STOPWORD_TEXT = (
    "的 地 得 了 着 过 和 与 及 以及 或 或者 并 并且 而 而且 是 在 等 等等 为 对 以 于 之 其 将 "
    "把 被 也 都 又 就 所 则 即 该 此 这 那 这些 那些 个 吗 呢 吧 啊 "
    "什么 哪些 哪个 哪里 如何 怎么 怎样 多少 请问"
)
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
# Symbols that are units in policy text and keep their meaning on their own.
UNIT_SYMBOLS = frozenset("%‰℃°㎡㎞")

_MIN_USER_WORD = 2
_MAX_USER_WORD = 12
_CN_NUM = CN_NUMERALS
# Heading numbering: 第一章 / 第3节 / 第二部分 / 一、 / （一） / 1. / 1、 / 专栏1.
_NUMBERING = re.compile(
    rf"^\s*(?:第[{_CN_NUM}\d]+[章节篇部分条款编]+"
    rf"|[（(][{_CN_NUM}\d]+[）)]"
    rf"|[{_CN_NUM}]+[、.．]"
    r"|\d+(?:\.\d+)*[、.．](?!\d)"
    r"|专栏\s*\d+)\s*"
)


class ChineseTokenizer:
    """jieba search-mode tokens, lowercased, without punctuation and stopwords."""

    def __init__(self, user_words: Iterable[str] = (), cache_file: str | None = None) -> None:
        """Build a private jieba instance; `cache_file` keeps its dictionary cache out of /tmp."""
        # Sorted and normalized: add_word's frequencies depend on insertion order,
        # and the query side must rebuild exactly the tokenizer the index used.
        self._user_words = normalized_user_words(user_words)
        self._jieba = _fresh_jieba(cache_file)
        for word in self._user_words:
            self._jieba.add_word(word)

    @property
    def user_words(self) -> tuple[str, ...]:
        """The extra dictionary words, as recorded in an index manifest."""
        return self._user_words

    def settings(self) -> dict[str, object]:
        """What an index manifest records so the query side can rebuild this tokenizer."""
        return tokenizer_settings(self._user_words)

    def tokens(self, text: str) -> list[str]:
        """Terms of a passage or a question (the same function for both)."""
        out = []
        for token in self._jieba.cut_for_search(_normalize(text)):
            token = token.strip()
            if token and token not in STOPWORDS and _is_term(token):
                out.append(token)
        return out


def normalized_user_words(user_words: Iterable[str]) -> tuple[str, ...]:
    """The extra dictionary words as a tokenizer holds them: normalized, unique, sorted."""
    words = {_normalize(w).strip() for w in user_words}
    return tuple(sorted(w for w in words if w))


def tokenizer_settings(user_words: Iterable[str]) -> dict[str, object]:
    """The manifest entry of a tokenizer with these user words (without building it)."""
    return {
        "version": TOKENIZER_VERSION,
        "mode": "jieba.cut_for_search",
        "user_words": list(normalized_user_words(user_words)),
    }


# Base dictionary per cache file: loading it takes about a second, copying it 20 ms,
# and every tokenizer needs its own copy since user words are added into it.
_BASE_DICTIONARY: dict[str | None, tuple[dict[str, int], int]] = {}


def _fresh_jieba(cache_file: str | None) -> jieba.Tokenizer:
    """A jieba instance holding a private copy of the default dictionary."""
    tokenizer = jieba.Tokenizer()
    if cache_file is not None:
        tokenizer.cache_file = cache_file
    base = _BASE_DICTIONARY.get(cache_file)
    if base is None:
        tokenizer.initialize()
        _BASE_DICTIONARY[cache_file] = (dict(tokenizer.FREQ), tokenizer.total)
    else:
        tokenizer.FREQ, tokenizer.total = dict(base[0]), base[1]
        tokenizer.initialized = True
    return tokenizer


def _normalize(text: str) -> str:
    # NFKC only here, on the way to terms: full-width digits become ASCII so
    # "２０２５年" and "2025年" match; stored text and offsets are never touched.
    return unicodedata.normalize("NFKC", text).lower()


def _is_term(token: str) -> bool:
    return token in UNIT_SYMBOLS or any(ch.isalnum() for ch in token)


def heading_keywords(heading: str) -> list[str]:
    """Phrases of a heading without its numbering, split at punctuation, 2–12 chars."""
    body = _NUMBERING.sub("", heading, count=1)
    return [p for p in _split_phrases(body) if _MIN_USER_WORD <= len(p) <= _MAX_USER_WORD]


def _split_phrases(text: str) -> list[str]:
    pieces: list[str] = []
    current: list[str] = []
    for ch in text:
        if unicodedata.category(ch)[0] in "PZC" or ch.isspace():
            pieces.append("".join(current))
            current = []
        else:
            current.append(ch)
    pieces.append("".join(current))
    trimmed = (_strip_stopchars(p) for p in pieces)
    return [p for p in trimmed if p and p not in STOPWORDS and not p.isdigit()]


def _strip_stopchars(phrase: str) -> str:
    # "…的通知" as a word would hide the term 通知; drop one-character function words at the ends.
    while phrase and phrase[0] in STOPWORDS:
        phrase = phrase[1:]
    while phrase and phrase[-1] in STOPWORDS:
        phrase = phrase[:-1]
    return phrase


def user_words_from_chunks(chunks: Sequence[Chunk]) -> list[str]:
    """Region names, title phrases and section keywords, kept whole by the tokenizer."""
    words: set[str] = set()
    for chunk in chunks:
        if chunk.region:
            words.add(chunk.region.strip())
        words.update(heading_keywords(chunk.title))
        for heading in chunk.section:
            words.update(heading_keywords(heading))
    return sorted(w for w in words if w)
