"""How a library's exception is quoted inside the project's own one-line messages."""

from __future__ import annotations


def brief(err: BaseException, limit: int = 160) -> str:
    """The exception as one short phrase: whitespace collapsed, at most `limit` characters."""
    text = " ".join(str(err).split()) or type(err).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."
