"""`policyqa eval`: run each gold set through each configuration and write one report."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from eval.aggregate import HELDOUT, TUNE
from eval.configs import DEFAULT, configured
from eval.gate import load_targets, open_targets
from eval.gold import GoldItem, GoldSetError, load_gold, named_docs
from eval.learn import Learned, learn
from eval.metrics import ItemResult, score_item
from eval.report import ReportFiles, write_report
from eval.trec import write_qrels, write_run
from index.build import build_index
from index.loaders import UnreadableDocument, load_document
from index.manifest import read_manifest
from index.publish import IndexNotFoundError, resolve_live
from index.service import QAService
from index.store import open_index
from rag.config import Settings
from rag.types import Answer

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class EvalRun:
    """Where the report went and the primary configuration's headline figures per set."""

    files: ReportFiles
    primary: str
    sets: dict[str, dict]  # set name -> overall metrics, in the order the sets were given
    gap: dict[str, float] | None = None  # tune − held-out, when both were evaluated
    targets: tuple[dict, ...] = ()  # held-out figures against eval/thresholds.toml
    learned: Learned | None = None  # weights learned on the tune set, with --learn

    @property
    def overall(self) -> dict:
        """The overall metrics of the first set given."""
        return next(iter(self.sets.values()))


def set_name(path: Path) -> str:
    """A gold set is named by its file stem: tune, heldout, dev."""
    return path.stem


def load_sets(
    gold_paths: Sequence[Path], docs_dir: Path
) -> tuple[dict[str, list[GoldItem]], dict[str, str]]:
    """Every gold set, checked against its documents, and the decoded text of those documents.

    Raises GoldSetError for the first set that is missing, malformed, names a document that
    cannot be read, or quotes evidence its documents do not hold.
    """
    paths: dict[str, Path] = {}
    for path in gold_paths:
        name = set_name(path)
        if name in paths:
            raise GoldSetError(
                path, [f"{path}: set name {name!r} is also {paths[name]}'s; rename one file"]
            )
        paths[name] = path
    shapes = {name: load_gold(path) for name, path in paths.items()}
    texts = doc_texts(named_docs([i for items in shapes.values() for i in items]), docs_dir)
    return {name: load_gold(path, texts) for name, path in paths.items()}, texts


def doc_texts(names: Iterable[str], docs_dir: Path) -> dict[str, str]:
    """The decoded text of each named document that can be read (offsets are into these).

    HTML, DOCX and PDF are extracted by the index's loaders, exactly as the index reads them.
    """
    texts: dict[str, str] = {}
    for name in sorted(set(names)):
        path = docs_dir / name
        if not path.is_file():
            continue  # the gold check reports the document as missing
        try:
            texts[name] = load_document(path, docs_dir).text
        except UnreadableDocument as exc:
            log.warning("gold document %s cannot be read: %s", name, exc.reason)
    return texts


def _ensure_index(settings: Settings, docs_dir: Path, index_root: Path, progress: Progress) -> None:
    """Build the evaluated index with the base settings when there is none yet."""
    try:
        resolve_live(index_root)
    except IndexNotFoundError:
        log.info("no index at %s: building one", index_root)
        build_index(docs_dir, index_root, settings, progress=progress)


def _index_for(
    settings: Settings, docs_dir: Path, index_root: Path, scratch: Path, progress: Progress
) -> Path:
    """The given index when its chunking matches this configuration's, else one built for it."""
    manifest = read_manifest(resolve_live(index_root))
    built = {k: v for k, v in manifest.get("chunking", {}).items() if k != "chunker_version"}
    if built == asdict(settings.chunking):
        return index_root
    chunking = settings.chunking
    root = scratch / f"{chunking.strategy}-{chunking.max_chars}-{int(chunking.headers)}"
    build_index(docs_dir, root, settings, progress=progress)
    return root


def run_config(
    service: QAService,
    items: Sequence[GoldItem],
    texts: Mapping[str, str],
    progress: Progress,
    stage: str = "questions",
) -> tuple[list[ItemResult], dict[str, Answer]]:
    """Ask every gold question, timing each; the scored results and each question's Answer."""
    results, answers = [], {}
    progress(stage, 0, len(items))
    for i, item in enumerate(items, start=1):
        started = time.perf_counter()
        answer = service.ask(item.question)
        latency = time.perf_counter() - started
        results.append(score_item(item, answer, latency, texts))
        answers[item.id] = answer
        progress(stage, i, len(items))
    return results, answers


def evaluate(
    gold_paths: Sequence[Path],
    docs_dir: Path,
    index_root: Path,
    settings: Settings,
    out_dir: Path,
    configs: Sequence[str] = (DEFAULT,),
    progress: Progress | None = None,
    learning: bool = False,
) -> EvalRun:
    """Evaluate each gold set under each named configuration, all on the same index(es),
    and write one report comparing them (see eval/report.py).

    With `learning`, the answer layer's weights are first learned on the tune set (never
    on another) with the first configuration, and written to OUT/learned.toml.
    """
    progress = progress or (lambda stage, done, total: None)
    sets, texts = load_sets(gold_paths, docs_dir)
    if learning and TUNE not in sets:
        raise GoldSetError(
            gold_paths[0], [f"--learn learns on the {TUNE} set only: pass eval/gold/{TUNE}.jsonl"]
        )
    for name in configs:
        configured(settings, name)  # an unknown name fails before any work
    out_dir.mkdir(parents=True, exist_ok=True)
    _ensure_index(settings, docs_dir, index_root, progress)
    runs: dict[str, dict[str, list[ItemResult]]] = {name: {} for name in sets}
    learned: Learned | None = None
    for config in configs:
        config_settings = configured(settings, config)
        root = _index_for(config_settings, docs_dir, index_root, out_dir / "indexes", progress)
        service = QAService(open_index(root), config_settings)
        if learning and config == configs[0]:
            learned = learn(service, sets[TUNE], texts, progress)
            (out_dir / "learned.toml").write_text(learned.toml(), encoding="utf-8")
        for name, items in sets.items():
            log.info("evaluating %s on %s (%d questions)", config, name, len(items))
            stage = f"{name} · {config}"
            runs[name][config], answers = run_config(service, items, texts, progress, stage)
            hits = {qid: answer.hits for qid, answer in answers.items()}
            write_run(out_dir / f"run.{name}.{config}.trec", hits, config)
            if config == configs[0]:
                write_qrels(out_dir / f"qrels.{name}.txt", items, service.index.chunks, texts)
    primary = DEFAULT if DEFAULT in configs else configs[0]
    meta = {
        "gold": [str(path) for path in gold_paths],
        "docs": str(docs_dir),
        "index": str(index_root),
        "configs": list(configs),
    }
    if learned is not None:
        meta["weights learned on"] = TUNE
    targets = load_targets() if HELDOUT in sets else []
    opened = open_targets() if targets else frozenset()
    files = write_report(out_dir, runs, primary=primary, meta=meta, targets=targets, opened=opened)
    metrics = json.loads(files.metrics.read_text(encoding="utf-8"))
    overall = {name: metrics["sets"][name]["overall"] for name in sets}
    return EvalRun(
        files, primary, overall, metrics.get("gap"), tuple(metrics.get("targets", ())), learned
    )
