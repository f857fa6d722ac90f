"""Optional cross-encoder reranking: score (question, passage) pairs with a local CrossEncoder."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from index.model_store import quiet_hf_progress

if TYPE_CHECKING:
    from sentence_transformers import CrossEncoder

log = logging.getLogger(__name__)

BATCH_SIZE = 16
_PATH_PREFIXES = ("/", ".", "~")

RerankFn = Callable[[str, Sequence[str]], list[float]]


class RerankerError(RuntimeError):
    """The configured reranker cannot be loaded or gives unusable scores."""


def load_reranker(name: str, batch_size: int = BATCH_SIZE) -> RerankFn | None:
    """A function scoring passages against a question with CrossEncoder `name`; None when empty.

    `name` is a local folder, or a hub id already in the local Hugging Face cache: models are
    never downloaded here, so opening the index cannot stall on network retries.
    """
    name = name.strip()
    if not name:
        return None
    if batch_size < 1:
        raise RerankerError(f"reranker batch size must be at least 1, got {batch_size}")
    model = _load_model(name)

    def rerank(question: str, texts: Sequence[str]) -> list[float]:
        """One relevance score per text, in input order (higher = more relevant)."""
        if not texts:
            return []
        started = time.perf_counter()
        raw = model.predict(
            [(question, text) for text in texts],
            batch_size=batch_size,
            show_progress_bar=False,
            convert_to_numpy=True,
        )
        scores = np.asarray(raw, dtype=np.float64).reshape(-1)
        if scores.shape != (len(texts),) or not np.isfinite(scores).all():
            raise RerankerError(
                f"reranker {name!r} returned {scores.size} scores (non-finite: "
                f"{int((~np.isfinite(scores)).sum())}) for {len(texts)} passages; "
                "use a CrossEncoder with a single relevance label"
            )
        log.debug("reranked %d passages in %.3f s", len(texts), time.perf_counter() - started)
        return [float(s) for s in scores]

    return rerank


def _load_model(name: str) -> CrossEncoder:
    """The CrossEncoder for `name` on the CPU, or RerankerError saying what to do."""
    # sentence-transformers pulls in torch (seconds): imported only when a reranker is set.
    from sentence_transformers import CrossEncoder

    folder = Path(name).expanduser()
    is_folder = folder.is_dir()
    if not is_folder and (name.startswith(_PATH_PREFIXES) or folder.exists()):
        raise RerankerError(
            f"reranker {name!r}: no folder at {folder}; give the folder of a saved CrossEncoder "
            "(config.json, tokenizer and weights), or leave retrieval.reranker empty to turn "
            "reranking off"
        )
    target = str(folder) if is_folder else name
    log.info("loading reranker %s", target)
    try:
        with quiet_hf_progress():
            model = CrossEncoder(target, device="cpu", local_files_only=True)
    except (OSError, ValueError) as err:
        raise RerankerError(_load_failure(name, folder, is_folder, err)) from err
    if model.num_labels != 1:
        raise RerankerError(
            f"reranker {name!r} gives {model.num_labels} scores per pair; use a CrossEncoder "
            "with a single relevance label (num_labels=1)"
        )
    return model


def _load_failure(name: str, folder: Path, is_folder: bool, err: Exception) -> str:
    """The one-line reason a reranker failed to load, with the fix."""
    reason = " ".join(str(err).split()).rstrip(".")
    if is_folder:
        return (
            f"cannot load reranker {name!r} from {folder}: {reason}; the folder must hold a "
            "CrossEncoder saved by sentence-transformers or a transformers sequence-"
            "classification model with its tokenizer"
        )
    return (
        f"reranker {name!r} is neither a local folder nor in the local Hugging Face cache, "
        f"and models are not downloaded here ({reason}); download it first (for example "
        f"`hf download {name}` on a machine with network) or give a local folder"
    )
