"""`policyqa eval`: run the gold questions through each configuration and write the report."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from eval.configs import DEFAULT, configured
from eval.gold import GoldItem, load_gold
from eval.metrics import ItemResult, score_item
from eval.report import ReportFiles, write_report
from eval.trec import write_qrels, write_run
from eval.tune import Observation, Thresholds, learn_thresholds
from index.build import build_index
from index.loaders import load_document
from index.publish import IndexNotFoundError, resolve_live
from index.service import QAService
from index.store import open_index, read_manifest
from rag.config import Settings
from rag.types import Answer

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class EvalRun:
    """Where the report went and the primary configuration's headline metrics."""

    files: ReportFiles
    primary: str
    overall: dict
    thresholds: Thresholds | None = None  # learned abstention thresholds, with --tune


def gold_doc_texts(gold_path: Path, docs_dir: Path) -> dict[str, str]:
    """The decoded text of every document the gold set names (offsets are into these)."""
    names = set()
    with gold_path.open(encoding="utf-8-sig") as lines:
        for line in lines:
            if line.strip():
                doc = json.loads(line).get("doc")
                if isinstance(doc, str):
                    names.add(doc)
    return {
        name: load_document(docs_dir / name, docs_dir).text
        for name in sorted(names)
        if (docs_dir / name).exists()
    }


def _ensure_index(settings: Settings, docs_dir: Path, index_root: Path) -> None:
    """Build the evaluated index with the base settings when there is none yet."""
    try:
        resolve_live(index_root)
    except IndexNotFoundError:
        log.info("no index at %s: building one", index_root)
        build_index(docs_dir, index_root, settings)


def _index_for(settings: Settings, docs_dir: Path, index_root: Path, scratch: Path) -> Path:
    """The given index when its chunking matches this configuration's, else one built for it."""
    manifest = read_manifest(resolve_live(index_root))
    built = {k: v for k, v in manifest.get("chunking", {}).items() if k != "chunker_version"}
    if built == asdict(settings.chunking):
        return index_root
    chunking = settings.chunking
    root = scratch / f"{chunking.strategy}-{chunking.max_chars}-{int(chunking.headers)}"
    build_index(docs_dir, root, settings)
    return root


def run_config(
    service: QAService, items: Sequence[GoldItem], texts: dict[str, str], progress: Progress
) -> tuple[list[ItemResult], dict[str, Answer]]:
    """Ask every gold question, timing each; the scored results and each question's Answer."""
    results, answers = [], {}
    for i, item in enumerate(items, start=1):
        started = time.perf_counter()
        answer = service.ask(item.question)
        latency = time.perf_counter() - started
        results.append(score_item(item, answer, latency, texts.get(item.doc) if item.doc else None))
        answers[item.id] = answer
        progress("questions", i, len(items))
    return results, answers


def observations(
    items: Sequence[GoldItem], answers: dict[str, Answer], service: QAService
) -> list[Observation]:
    """What the abstention tuner needs from each answered gold question."""
    return [
        Observation(
            item.answerable, service.analyze(item.question).asks_figure, answers[item.id].support
        )
        for item in items
        if answers[item.id].support is not None
    ]


def evaluate(
    gold_path: Path,
    docs_dir: Path,
    index_root: Path,
    settings: Settings,
    out_dir: Path,
    configs: Sequence[str] = (DEFAULT,),
    progress: Progress | None = None,
    tune: bool = False,
) -> EvalRun:
    """Evaluate each named configuration on the gold set and write one report comparing them."""
    progress = progress or (lambda stage, done, total: None)
    texts = gold_doc_texts(gold_path, docs_dir)
    items = load_gold(gold_path, texts)
    out_dir.mkdir(parents=True, exist_ok=True)
    _ensure_index(settings, docs_dir, index_root)
    runs: dict[str, list[ItemResult]] = {}
    learned: Thresholds | None = None
    for name in configs:
        config_settings = configured(settings, name)
        root = _index_for(config_settings, docs_dir, index_root, out_dir / "indexes")
        service = QAService(open_index(root), config_settings)
        log.info("evaluating %s on %d questions", name, len(items))
        runs[name], answers = run_config(service, items, texts, progress)
        hits = {qid: answer.hits for qid, answer in answers.items()}
        write_run(out_dir / f"run.{name}.trec", hits, name)
        if tune and name == configs[0]:
            learned = learn_thresholds(observations(items, answers, service))
            (out_dir / "abstention.toml").write_text(learned.toml(), encoding="utf-8")
        if name == configs[0]:
            write_qrels(out_dir / "qrels.txt", items, service.index.chunks, texts)
    primary = DEFAULT if DEFAULT in runs else configs[0]
    meta = {
        "gold": str(gold_path),
        "docs": str(docs_dir),
        "index": str(index_root),
        "configs": list(configs),
    }
    files = write_report(out_dir, runs, primary=primary, meta=meta)
    overall = json.loads(files.metrics.read_text(encoding="utf-8"))["overall"]
    return EvalRun(files, primary, overall, learned)
