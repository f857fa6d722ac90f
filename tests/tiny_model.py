"""A tiny real sentence-transformers model built in code, so tests run in seconds offline."""

from __future__ import annotations

from pathlib import Path

import numpy as np

DIM = 32
SEED = 20250101
# Fixed ranges: ASCII printable, CJK punctuation, CJK unified ideographs, fullwidth forms.
_RANGES = ((0x21, 0x7F), (0x3000, 0x3040), (0x4E00, 0xA000), (0xFF01, 0xFF5F))
UNK, PAD = "[UNK]", "[PAD]"


def char_vocabulary(text: str | None = None) -> dict[str, int]:
    """Token ids for single characters: those of `text`, or the fixed ranges above."""
    if text is None:
        chars = [chr(cp) for lo, hi in _RANGES for cp in range(lo, hi)]
    else:
        chars = sorted({ch for ch in text if not ch.isspace()})
    vocab = {UNK: 0, PAD: 1}
    for ch in chars:
        vocab.setdefault(ch, len(vocab))
    return vocab


def build_tiny_model(folder: Path, text: str | None = None) -> Path:
    """Save a character-level StaticEmbedding + Normalize model into `folder`; return it."""
    # Heavy imports kept inside: only tests that need a model pay for them.
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, StaticEmbedding
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers

    if (folder / "modules.json").is_file():
        return folder
    vocab = char_vocabulary(text)
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token=UNK))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Split(Regex("."), "isolated")]
    )
    weights = np.random.default_rng(SEED).standard_normal((len(vocab), DIM)).astype(np.float32)
    embedding = StaticEmbedding(tokenizer, embedding_weights=weights)
    model = SentenceTransformer(modules=[embedding, Normalize()], device="cpu")
    model.save(str(folder), create_model_card=False)
    return folder
