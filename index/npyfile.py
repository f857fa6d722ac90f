"""Write a .npy file row block by row block, without knowing the number of rows up front.

The header (NumPy format 1.0) is written first with room for any row count and rewritten
with the true shape when the file is closed, so a build appends vectors to disk as it
makes them and never holds them all. Readers use plain `np.load(..., mmap_mode="r")`.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import BinaryIO

import numpy as np

_MAGIC = b"\x93NUMPY\x01\x00"
_HEADER_BYTES = 128  # magic + length + dict, padded: fits any shape of two 20-digit numbers


class NpyAppender:
    """Append rows of one dtype and row shape to a .npy file; `close()` fixes the header."""

    def __init__(self, path: Path, dtype: str, row_shape: tuple[int, ...] = ()) -> None:
        """Create `path` holding (0, *row_shape) rows of `dtype` (little-endian)."""
        self.path = path
        self.dtype = np.dtype(dtype).newbyteorder("<")
        self.row_shape = tuple(row_shape)
        self.rows = 0
        self._handle: BinaryIO | None = open(path, "wb")  # noqa: SIM115 - closed in close()
        self._handle.write(self._header())

    def append(self, block: np.ndarray) -> None:
        """Append rows (a 1-D array for scalar rows, else (n, *row_shape))."""
        array = np.ascontiguousarray(block, dtype=self.dtype)
        if array.shape[1:] != self.row_shape:
            raise ValueError(
                f"{self.path.name}: rows of shape {array.shape[1:]}, not {self.row_shape}"
            )
        assert self._handle is not None, "appending to a closed file"
        self._handle.write(array.tobytes())
        self.rows += len(array)

    def close(self) -> None:
        """Write the final shape into the header and close the file."""
        if self._handle is None:
            return
        self._handle.seek(0)
        self._handle.write(self._header())
        self._handle.close()
        self._handle = None

    def _header(self) -> bytes:
        shape = (self.rows, *self.row_shape)
        text = repr({"descr": self.dtype.str, "fortran_order": False, "shape": shape})
        body_room = _HEADER_BYTES - len(_MAGIC) - 2
        if len(text) + 1 > body_room:
            raise ValueError(f"{self.path.name}: shape {shape} too large for the header")
        body = text.ljust(body_room - 1).encode("latin1") + b"\n"
        return _MAGIC + len(body).to_bytes(2, "little") + body


def npy_shape(path: Path) -> tuple[int, ...]:
    """The shape a .npy file's header declares (read without loading the data)."""
    with open(path, "rb") as handle:
        head = handle.read(_HEADER_BYTES * 4)
    if not head.startswith(b"\x93NUMPY"):
        raise ValueError(f"{path.name} is not a .npy file")
    length = int.from_bytes(head[8:10], "little")
    header = ast.literal_eval(head[10 : 10 + length].decode("latin1"))
    return tuple(header["shape"])
