"""Passages on disk, read by row: chunks.jsonl with an offsets table, a checksum per row and
the document of each row, so opening an index reads none of the passages themselves.

    chunks.jsonl       one JSON object per line; line i is row i (rag.serialize.chunk_record)
    chunk_offsets.npy  int64 (rows + 1): byte offset of line i; the last entry is the file size
    chunk_crc.npy      uint32 (rows): CRC-32 of line i's bytes, checked whenever it is read
    chunk_docs.npy     int32 (rows): the document of row i, as its position in docs.json

A row whose bytes no longer match their checksum (a passage edited after the build) is
refused with IndexDamagedError instead of being shown as a cited answer.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import zlib
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from index.integrity import damaged
from index.npyfile import NpyAppender
from rag.serialize import chunk_from_record, chunk_record
from rag.types import Chunk

CHUNKS = "chunks.jsonl"
CHUNK_OFFSETS = "chunk_offsets.npy"
CHUNK_CRC = "chunk_crc.npy"
CHUNK_DOCS = "chunk_docs.npy"
CACHED_ROWS = 8192  # passages kept decoded between questions
_FLUSH = 4096


class ChunkWriter:
    """Appends passages to a build folder's chunk files, in row order."""

    def __init__(self, folder: Path) -> None:
        """Create the four chunk files in `folder`."""
        self._handle = open(folder / CHUNKS, "wb")  # noqa: SIM115 - closed in close()
        self._offsets = NpyAppender(folder / CHUNK_OFFSETS, "int64")
        self._crc = NpyAppender(folder / CHUNK_CRC, "uint32")
        self._docs = NpyAppender(folder / CHUNK_DOCS, "int32")
        self._pending: tuple[list[int], list[int], list[int]] = ([], [], [])
        self.rows = 0
        self._position = 0

    def add(self, chunk: Chunk, doc_id: int) -> int:
        """Append one passage of document `doc_id`; its row."""
        line = (json.dumps(chunk_record(self.rows, chunk), ensure_ascii=False) + "\n").encode()
        self._handle.write(line)
        offsets, crcs, docs = self._pending
        offsets.append(self._position)
        crcs.append(zlib.crc32(line))
        docs.append(doc_id)
        self._position += len(line)
        self.rows += 1
        if len(offsets) >= _FLUSH:
            self._flush()
        return self.rows - 1

    def close(self) -> None:
        """Flush everything and close the files (the offsets end with the file size)."""
        self._pending[0].append(self._position)
        self._flush()
        self._handle.close()
        for appender in (self._offsets, self._crc, self._docs):
            appender.close()

    def _flush(self) -> None:
        offsets, crcs, docs = self._pending
        self._offsets.append(np.asarray(offsets, dtype=np.int64))
        self._crc.append(np.asarray(crcs, dtype=np.uint32))
        self._docs.append(np.asarray(docs, dtype=np.int32))
        self._pending = ([], [], [])


class ChunkTable(Sequence[Chunk]):
    """The passages of a build, decoded by row on demand (a small cache keeps recent ones)."""

    def __init__(self, folder: Path) -> None:
        """Open the chunk files of `folder` (memory-mapped tables; no passage is read)."""
        self.folder = folder
        self.offsets = np.load(folder / CHUNK_OFFSETS, mmap_mode="r", allow_pickle=False)
        self.crc = np.load(folder / CHUNK_CRC, mmap_mode="r", allow_pickle=False)
        self.doc_ids = np.load(folder / CHUNK_DOCS, mmap_mode="r", allow_pickle=False)
        rows = len(self.crc)
        size = (folder / CHUNKS).stat().st_size
        if len(self.offsets) != rows + 1 or len(self.doc_ids) != rows:
            raise damaged(folder, f"{CHUNK_OFFSETS}, {CHUNK_CRC} and {CHUNK_DOCS} disagree")
        if rows and (int(self.offsets[-1]) != size or int(self.offsets[0]) != 0):
            raise damaged(folder, f"{CHUNK_OFFSETS} does not match {CHUNKS}")
        self._fd = os.open(folder / CHUNKS, os.O_RDONLY)
        self._cache: OrderedDict[int, Chunk] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """Number of passages."""
        return len(self.crc)

    def __getitem__(self, row: int) -> Chunk:  # type: ignore[override]
        """The passage at `row` (negative rows count from the end)."""
        if row < 0:
            row += len(self)
        if not 0 <= row < len(self):
            raise IndexError(f"row {row} out of range")
        with self._lock:
            cached = self._cache.get(row)
            if cached is not None:
                self._cache.move_to_end(row)
                return cached
        start, end = int(self.offsets[row]), int(self.offsets[row + 1])
        chunk = self._decode(row, os.pread(self._fd, end - start, start))
        with self._lock:
            self._cache[row] = chunk
            if len(self._cache) > CACHED_ROWS:
                self._cache.popitem(last=False)
        return chunk

    def __iter__(self) -> Iterator[Chunk]:
        """Every passage in row order, read sequentially (for exports and checks)."""
        with open(self.folder / CHUNKS, "rb") as handle:
            for row in range(len(self)):
                yield self._decode(row, handle.readline())

    def close(self) -> None:
        """Release the file descriptor."""
        os.close(self._fd)

    def __del__(self) -> None:
        """Close the descriptor when the table goes away."""
        fd = getattr(self, "_fd", None)
        if fd is not None:
            with contextlib.suppress(OSError):  # closed already by close()
                os.close(fd)

    def _decode(self, row: int, line: bytes) -> Chunk:
        if zlib.crc32(line) != int(self.crc[row]):
            raise damaged(self.folder, f"{CHUNKS} line {row + 1} was altered since the build")
        try:
            record = json.loads(line)
            chunk = chunk_from_record(record)
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            raise damaged(self.folder, f"{CHUNKS} line {row + 1} is unreadable ({err!r})") from None
        if record.get("row") != row:
            raise damaged(self.folder, f"{CHUNKS} line {row + 1}: row out of order")
        return chunk
