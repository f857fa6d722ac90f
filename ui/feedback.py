"""Staff 👍/👎 on answers, appended as JSON lines to review and turn into gold items."""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from index.paths import home
from rag.serialize import citation
from rag.types import Answer

log = logging.getLogger(__name__)

FEEDBACK_FILE = "feedback.jsonl"
RATINGS = ("up", "down")


def default_feedback_path() -> Path:
    """Where feedback goes unless `policyqa serve --feedback FILE` says otherwise."""
    return home() / FEEDBACK_FILE


def feedback_record(
    answer: Answer,
    rating: str,
    *,
    region: str | None = None,
    doc: str | None = None,
    user: str | None = None,
    asked: str = "",
    now: datetime | None = None,
) -> dict[str, Any]:
    """One log line: time, rating, question, answer, citations and the filters in force.

    `asked` is the message as typed; `question` the question answered, which differs
    for a follow-up completed from the conversation (那襄阳呢? → 襄阳高新区…).
    """
    if rating not in RATINGS:
        raise ValueError(f"rating must be one of {RATINGS}, got {rating!r}")
    return {
        "time": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
        "rating": rating,
        "asked": asked or answer.question,
        "question": answer.question,
        "answer": answer.text,
        "abstained": answer.abstained,
        "mode": answer.mode,
        "notices": list(answer.notices),
        "citations": [citation(c) for c in answer.citations],
        "filters": {"region": region, "doc": doc},
        "user": user,
    }


class FeedbackLog:
    """An append-only JSONL file shared by all sessions of one server."""

    def __init__(self, path: Path) -> None:
        """Remember the path; the file and its folder are created on the first record."""
        self.path = path
        self._lock = threading.Lock()  # gradio runs handlers in worker threads

    def append(self, record: dict[str, Any]) -> None:
        """Append one record as a line; raises OSError naming the file when it cannot."""
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line)
        log.info("feedback %s recorded in %s", record.get("rating"), self.path)

    def read(self) -> list[dict[str, Any]]:
        """All records so far (empty when nothing was recorded yet)."""
        if not self.path.exists():
            return []
        records = []
        with self.path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as err:
                    raise ValueError(
                        f"{self.path}:{number}: not a JSON feedback line ({err.msg}); "
                        "fix or remove that line"
                    ) from err
        return records
