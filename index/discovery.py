"""Find the documents in a folder, and say why every other entry in it is not one.

Nothing outside the documents folder is ever read: symbolic links pointing out of it
are listed and not followed. A link that stays inside is indexed once, under its
target's name, so no document is indexed twice. Named pipes, sockets and devices are
never opened (opening a pipe would wait forever). Hidden entries (".git", ".DS_Store")
and Office lock files ("~$x.docx") are passed over silently; everything else that is
not indexed is listed with the reason, for the build summary and the manifest.
"""

from __future__ import annotations

import errno
import os
import stat
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from index.filetypes import SNIFF_BYTES, SUPPORTED_SUFFIXES, kind_of

SIDECAR_SUFFIX = ".meta.json"
MB = 1024 * 1024
_NOT_REGULAR = {
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}
# Bidirectional-text controls can make a name read as another one (txt.exe → exe.txt).
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


@dataclass(frozen=True)
class Skipped:
    """An entry of the documents folder that is not indexed, and why."""

    path: str  # relative to the documents folder, "/"-separated, shown safely (see shown)
    reason: str


@dataclass(frozen=True)
class Discovery:
    """The documents to read, sorted by relative path, and the entries passed over."""

    documents: tuple[Path, ...]
    skipped: tuple[Skipped, ...]


def shown(name: str) -> str:
    """`name` safe to print on one line: control characters and undecodable bytes escaped."""
    out = []
    for char in name:
        if "\udc80" <= char <= "\udcff":  # a byte that was not UTF-8 (surrogateescape)
            out.append(f"\\x{ord(char) - 0xDC00:02x}")
        elif _is_control(char):
            out.append(char.encode("unicode_escape").decode("ascii"))
        else:
            out.append(char)
    return "".join(out)


def _is_control(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Zl", "Zp", "Cs") or char in _BIDI_CONTROLS


def name_problem(name: str) -> str:
    """Why a file name cannot be indexed as it is, or ""."""
    if any("\udc80" <= c <= "\udcff" for c in name):
        return "the file name is not valid UTF-8 — rename it"
    controls = sorted({shown(c) for c in name if _is_control(c)})
    if controls:
        return f"the file name contains control characters ({' '.join(controls)}) — rename it"
    return ""


def too_large(size: int, max_bytes: int | None) -> str:
    """The reason a file of `size` bytes is over the limit, or ""."""
    if max_bytes is None or size <= max_bytes:
        return ""
    return (
        f"too large: {size / MB:.1f} MB, over the limit of {max_bytes / MB:g} MB "
        "(documents.max_document_mb in policyqa.toml) — raise the limit to index it"
    )


def discover(root: Path, max_bytes: int | None = None) -> Discovery:
    """The documents under `root` (recursively) and every entry passed over, with reasons.

    `max_bytes`: files larger than this are passed over (None: no limit).
    """
    if not root.is_dir():
        raise FileNotFoundError(f"documents folder {root} does not exist — pass --docs DIR")
    walk = _Walk(root, max_bytes)
    walk.run()
    return walk.result()


class _Walk:
    """One pass over the folder tree, following no link, then the links resolved."""

    def __init__(self, root: Path, max_bytes: int | None) -> None:
        self.root = root
        self.real_root = os.path.realpath(root)
        self.max_bytes = max_bytes
        self.documents: dict[str, Path] = {}  # real path -> path under root
        self.skipped: list[Skipped] = []
        self.links: list[tuple[str, str]] = []  # (path, relative name)
        self.seen_files: dict[tuple[int, int], str] = {}  # (device, inode) -> relative name
        self.seen_dirs: set[tuple[int, int]] = set()

    def skip(self, rel: str, reason: str) -> None:
        self.skipped.append(Skipped(shown(rel), reason))

    def run(self) -> None:
        folders = [(self.real_root, "")]
        top = os.stat(self.real_root)
        self.seen_dirs.add((top.st_dev, top.st_ino))
        while folders:
            folder, prefix = folders.pop()
            try:
                with os.scandir(folder) as listing:
                    entries = sorted(listing, key=lambda e: e.name)
            except OSError as err:
                self.skip(prefix or ".", f"cannot open the folder ({err.strerror})")
                continue
            names = {e.name for e in entries}
            for entry in entries:
                subfolder = self._entry(entry, prefix + entry.name, names)
                if subfolder is not None:
                    folders.append(subfolder)

    def _entry(self, entry: os.DirEntry[str], rel: str, names: set[str]) -> tuple[str, str] | None:
        """Classify one entry; a folder to walk into is returned."""
        name = entry.name
        if name.startswith((".", "~$")):
            return None  # hidden files and folders, Office lock files
        problem = name_problem(name)
        if problem:
            self.skip(rel, problem)
            return None
        if name.endswith(SIDECAR_SUFFIX):
            if name[: -len(SIDECAR_SUFFIX)] not in names:
                document = shown(name[: -len(SIDECAR_SUFFIX)])
                self.skip(rel, f"metadata sidecar of {document}, which is not in the folder")
            return None
        try:
            if entry.is_symlink():
                self.links.append((entry.path, rel))
                return None
            info = entry.stat(follow_symlinks=False)
        except OSError as err:
            self.skip(rel, f"cannot read it ({err.strerror})")
            return None
        if stat.S_ISDIR(info.st_mode):
            if (info.st_dev, info.st_ino) in self.seen_dirs:
                self.skip(rel, "a folder already read under another name (mounted twice)")
                return None
            self.seen_dirs.add((info.st_dev, info.st_ino))
            return entry.path, rel + "/"
        self._file(entry.path, rel, info)
        return None

    def _file(self, path: str, rel: str, info: os.stat_result) -> None:
        kind = _NOT_REGULAR.get(stat.S_IFMT(info.st_mode))
        if kind is not None or not stat.S_ISREG(info.st_mode):
            self.skip(rel, f"not a regular file: {kind or 'a special file'} — not read")
            return
        same = self.seen_files.get((info.st_dev, info.st_ino))
        if same is not None:
            self.skip(rel, f"the same file as {shown(same)} (a hard link): indexed once, as that")
            return
        reason = too_large(info.st_size, self.max_bytes) or _not_a_document(path, rel)
        if reason:
            self.skip(rel, reason)
            return
        self.seen_files[(info.st_dev, info.st_ino)] = rel
        self.documents[path] = self.root / rel

    def result(self) -> Discovery:
        for path, rel in self.links:
            self.skip(rel, self._link_reason(path))
        documents = sorted(
            self.documents.values(), key=lambda p: p.relative_to(self.root).as_posix()
        )
        skipped = sorted(self.skipped, key=lambda s: s.path)
        return Discovery(tuple(documents), tuple(skipped))

    def _link_reason(self, path: str) -> str:
        """Why a symbolic link is not indexed under its own name."""
        target = os.path.realpath(path)
        try:
            info = os.stat(path)
        except FileNotFoundError:
            return f"dangling symbolic link (its target {shown(target)} does not exist)"
        except OSError as err:
            if err.errno == errno.ELOOP:
                return "symbolic link loop — not followed"
            return f"cannot follow the symbolic link ({err.strerror})"
        if os.path.commonpath([self.real_root, target]) != self.real_root:
            return f"symbolic link to {shown(target)}, outside the documents folder — not followed"
        inside = Path(os.path.relpath(target, self.real_root)).as_posix()
        if stat.S_ISDIR(info.st_mode):
            return f"symbolic link to the folder {shown(inside)}/ — not followed (read there)"
        if any(part.startswith((".", "~$")) for part in Path(inside).parts):
            return f"symbolic link to {shown(inside)}, a hidden entry — not indexed"
        if target in self.documents:
            return f"symbolic link to {shown(inside)}: indexed once, as {shown(inside)}"
        if not stat.S_ISREG(info.st_mode):
            kind = _NOT_REGULAR.get(stat.S_IFMT(info.st_mode), "a special file")
            return f"symbolic link to {kind} — not read"
        return f"symbolic link to {shown(inside)}, which is not indexed (see there)"


def _not_a_document(path: str, rel: str) -> str:
    """Why a regular file is no document to read, or "" (by extension, else by content)."""
    suffix = os.path.splitext(rel)[1].lower()
    if suffix in SUPPORTED_SUFFIXES:
        return ""  # the loader checks the content when it reads the file
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
            # A PDF, .docx or web page under another name is read by its content.
            return kind_of(suffix, head, lambda: zipfile.ZipFile(handle).namelist()).reason
    except OSError as err:
        return f"cannot read it ({err.strerror})"
