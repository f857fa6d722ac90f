"""Embed passages and questions with a sentence-transformers model, the same way every time."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from index.model_store import quiet_hf_progress, resolve_model
from index.paths import models_dir
from rag.config import EmbeddingSettings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from index.openvino_backend import OpenVINORunner

log = logging.getLogger(__name__)

PRECISIONS = ("auto", "fp32", "bf16")
T = TypeVar("T")


class EmbeddingModelError(RuntimeError):
    """The embedding model cannot be loaded or produced unusable vectors."""


class Encoder:
    """A loaded embedding model plus the settings (prompts, batch size) it is used with.

    The constructor takes over `model` (it caps its max length at the settings'); use `load`.
    `precision` "bf16" runs the model under bfloat16 autocast, "auto" picks it on CPUs that
    multiply bf16 in hardware: for e5-small about twice as fast, vectors within cosine
    0.99998 of fp32.
    """

    def __init__(
        self,
        model: SentenceTransformer,
        settings: EmbeddingSettings,
        precision: str = "auto",
        device: str = "cpu",
    ) -> None:
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
        if precision == "auto":
            precision = resolved_precision(device)
        self.precision = precision
        self.device = device
        self.backend = settings.backend
        limit = model.max_seq_length
        # Bag-of-tokens models report an infinite, read-only limit.
        if isinstance(limit, int) and limit > settings.max_seq_length:
            model.max_seq_length = settings.max_seq_length
        self._model = model
        self.settings = settings
        self.model_id = settings.model
        dim = model.get_embedding_dimension()
        if not dim:
            raise EmbeddingModelError(f"{settings.model}: the model reports no embedding size")
        self.dim = int(dim)
        self.fingerprint = _fingerprint(model, settings, precision, device)
        self._runner: OpenVINORunner | None = None
        if settings.backend == "openvino":
            from index.openvino_backend import OpenVINORunner

            self._runner = OpenVINORunner(model, self.fingerprint, precision == "bf16")

    @classmethod
    def load(cls, settings: EmbeddingSettings, precision: str = "auto") -> Encoder:
        """Load `settings.model` (the bundled default, a hub id or a local folder) on the CPU."""
        # torch and sentence-transformers take seconds to import: only when a model is needed.
        import torch
        from sentence_transformers import SentenceTransformer

        target = resolve_model(settings.model, models_dir())
        threads = _cpu_threads()
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
        # A GPU when there is one (and the backend is torch's); the CPU otherwise.
        device = "cuda" if settings.backend == "torch" and torch.cuda.is_available() else "cpu"
        log.info("loading embedding model %s from %s on %s", settings.model, target, device)
        try:
            # Local folders and the Hugging Face cache only: offline, a download would stall
            # for a minute of retries before failing.
            with quiet_hf_progress():
                model = SentenceTransformer(str(target), device=device, local_files_only=True)
        except (OSError, ValueError) as err:
            reason = " ".join(str(err).split()).rstrip(".")
            raise EmbeddingModelError(
                f"cannot load embedding model {settings.model!r} ({reason}); give the folder "
                "of a saved sentence-transformers model, a model already in the local Hugging "
                f"Face cache (`hf download NAME` where there is network), or the default "
                f"{EmbeddingSettings().model!r}"
            ) from err
        encoder = cls(model, settings, precision, device)
        log.info(
            "embedding with %s: %s, %s backend, %d threads",
            settings.model,
            encoder.precision,
            settings.backend,
            threads,
        )
        return encoder

    @property
    def model(self) -> SentenceTransformer:
        """The underlying model, for token counts and diagnostics."""
        return self._model

    def forward(self, features: dict) -> tuple[np.ndarray, np.ndarray]:
        """One forward pass over tokenized texts: token embeddings (batch, tokens, dim) and
        normalized text vectors (batch, dim), float32."""
        if self._runner is not None:
            return self._runner(features)
        import torch  # already loaded along with the model

        on_device = {name: tensor.to(self.device) for name, tensor in features.items()}
        with torch.inference_mode(), self.autocast():
            out = self._model(on_device)
        tokens = out["token_embeddings"].float().cpu().numpy()
        vectors = torch.nn.functional.normalize(out["sentence_embedding"].float(), dim=-1)
        return tokens, vectors.cpu().numpy()

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors (n, dim) for questions, each prefixed with the query prompt.

        A question is encoded on `[embedding] query_threads` cores: on a shared 2-core
        server, two threads per question wait on each other whenever another process
        holds a core (0.3-1.5 s instead of 20 ms); the vectors are bit-identical.
        """
        with _QUERY_THREADS.limit(self.settings.query_threads):
            return self._encode(texts, self.settings.query_prompt, None)

    def encode_passages(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Unit vectors (n, dim) for passages; `progress(done)` is called after each batch."""
        return self._encode(texts, self.settings.passage_prompt, progress)

    def _encode(
        self, texts: Sequence[str], prompt: str, progress: Callable[[int], None] | None
    ) -> np.ndarray:
        texts = list(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        done = 0

        def work(rows: list[int]) -> np.ndarray:
            batch = [texts[i] for i in rows]
            if self._runner is not None:
                return self._runner.encode([prompt + t for t in batch], self._model)
            with self.autocast():  # autocast is per thread: entered in each worker
                vectors = self._model.encode(
                    batch,
                    prompt=prompt,
                    batch_size=len(batch),
                    convert_to_numpy=True,
                    normalize_embeddings=True,
                    show_progress_bar=False,
                )
            return vectors.astype(np.float32, copy=False)

        for rows, vectors in self.run_batches(self.batches(texts), work):
            out[rows] = vectors
            done += len(rows)
            if progress is not None:
                progress(done)
        check_finite(out, self.model_id)
        return out

    def batches(self, texts: Sequence[str]) -> list[list[int]]:
        """Indices of `texts` in batches of similar length, longest first.

        Each batch then pads little; a text's vector does not depend on its batch-mates.
        """
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        size = self.settings.batch_size
        return [order[start : start + size] for start in range(0, len(order), size)]

    def run_batches(
        self, batches: list[list[int]], work: Callable[[list[int]], T]
    ) -> Iterator[tuple[list[int], T]]:
        """`work` on each batch in order; with several, one single-threaded batch per CPU.

        A small encoder splits each matrix product poorly over threads: one batch per core
        costs 25-30% less CPU time on 2 cores, with identical vectors.
        """

        workers = min(_cpu_threads(), len(batches) - 1)
        if workers < 2 or self.device != "cpu":  # a GPU takes one batch at a time
            yield from ((rows, work(rows)) for rows in batches)
            return
        # The first batch runs here: it settles the tokenizer's truncation and padding state,
        # which two threads must never change at once.
        yield batches[0], work(batches[0])
        with _torch_threads(1):
            pool = ThreadPoolExecutor(workers, thread_name_prefix="encode")
            try:
                yield from zip(batches[1:], pool.map(work, batches[1:]), strict=True)
            finally:  # on an error or interrupt, skip the batches not yet started
                pool.shutdown(wait=True, cancel_futures=True)

    def autocast(self) -> AbstractContextManager[object]:
        """The precision context every forward pass of this encoder runs in."""
        import torch  # already loaded along with the model

        if self.precision == "bf16" and self.device == "cpu":
            return torch.autocast("cpu", dtype=torch.bfloat16)
        return nullcontext()


def guessed_device(backend: str) -> str:
    """The device `Encoder.load` will pick, guessed without importing torch (for cache keys;
    a wrong guess only costs a reload, since loading checks the fingerprint)."""
    gpu = Path("/dev/nvidiactl").exists() or Path("/dev/nvidia0").exists()
    return "cuda" if backend == "torch" and gpu else "cpu"


def resolved_precision(device: str) -> str:
    """What precision "auto" means on `device`: bf16 on a CPU that multiplies it natively."""
    return "bf16" if device == "cpu" and cpu_has_native_bf16() else "fp32"


def check_finite(vectors: np.ndarray, model_id: str) -> None:
    """Refuse vectors a broken model produced (NaN or infinite values)."""
    if not np.isfinite(vectors).all():
        raise EmbeddingModelError(f"{model_id}: the model produced non-finite vectors")


def cpu_has_native_bf16() -> bool:
    """Whether this CPU multiplies bfloat16 in hardware (AVX512-BF16 or AMX); Linux only."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return re.search(r"\b(avx512_bf16|amx_bf16)\b", flags) is not None


class _QueryThreadLimit:
    """torch's intra-op threads limited while any question is being encoded.

    torch's setting is global to the process: the first question in lowers it, the last
    one out restores it, so questions encoded at the same time each keep one thread.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active = 0
        self._saved = 0

    @contextmanager
    def limit(self, threads: int) -> Iterator[None]:
        import torch  # already loaded along with the model

        if threads <= 0:
            yield
            return
        with self._lock:
            if self._active == 0:
                self._saved = torch.get_num_threads()
                torch.set_num_threads(threads)
            self._active += 1
        try:
            yield
        finally:
            with self._lock:
                self._active -= 1
                if self._active == 0:
                    torch.set_num_threads(self._saved)


_QUERY_THREADS = _QueryThreadLimit()


@contextmanager
def _torch_threads(count: int) -> Iterator[None]:
    """Run torch with `count` intra-op threads per calling thread, then restore the setting."""
    import torch  # already loaded along with the model

    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _cpu_threads() -> int:
    """CPUs this process may run on (respects affinity masks and container limits)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # platforms without sched_getaffinity
        return max(1, os.cpu_count() or 1)


def _fingerprint(
    model: SentenceTransformer, settings: EmbeddingSettings, precision: str, device: str
) -> str:
    """sha256 of the exact weights, tokenizer, module pipeline, prompts, max length, precision
    (and, when not the default torch on a CPU, the backend and device)."""
    import torch  # already loaded along with the model

    digest = hashlib.sha256()
    recipe: dict[str, object] = {
        "prompts": [settings.query_prompt, settings.passage_prompt],
        "precision": precision,
        "max_seq_length": model.max_seq_length,
        "modules": [[type(module).__name__, _module_config(module)] for module in model.children()],
    }
    if settings.backend != "torch" or device != "cpu":
        # Other engines round differently: their vectors are not interchangeable.
        recipe["engine"] = [settings.backend, device]
    digest.update(json.dumps(recipe, sort_keys=True, default=str).encode("utf-8"))
    tokenizer = getattr(model, "tokenizer", None)
    backend = getattr(tokenizer, "backend_tokenizer", tokenizer)
    if backend is not None and hasattr(backend, "to_str"):
        state = json.loads(backend.to_str())
        # Padding and truncation are set by the first encode call, and change no vector
        # (max length is hashed above).
        state.pop("padding", None)
        state.pop("truncation", None)
        digest.update(json.dumps(state, ensure_ascii=False).encode("utf-8"))
    for name, tensor in sorted(model.state_dict().items()):
        flat = tensor.detach().cpu().contiguous().reshape(-1)
        digest.update(f"{name}:{flat.dtype}:{tuple(tensor.shape)}".encode())
        digest.update(memoryview(flat.view(torch.uint8).numpy()))  # on the CPU (cpu() above)
    return digest.hexdigest()


def _module_config(module: object) -> object:
    get_config = getattr(module, "get_config_dict", None)
    return get_config() if callable(get_config) else None
