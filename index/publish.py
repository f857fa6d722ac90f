"""Atomic publishing: builds go to builds/.tmp-<id>/, then a CURRENT pointer swap makes one live.

Layout of an index root (default var/index):

    CURRENT              one line: the id of the live build
    builds/<id>/         complete builds: the live one and the newest before it
                         ([index] keep_builds in all, 3 by default)
    builds/.tmp-<id>/    a build in progress, or left over by a killed one
    .lock                held by the running build

Readers only ever follow CURRENT to a complete folder, so a build that dies
half-way never disturbs the index being served.
"""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

logger = logging.getLogger(__name__)

CURRENT = "CURRENT"
BUILDS = "builds"
TMP_PREFIX = ".tmp-"
LOCK = ".lock"
MANIFEST = "manifest.json"
KEEP_BUILDS = 3


class IndexNotFoundError(FileNotFoundError):
    """No usable index where one was expected; the message names the build command."""


class BuildInProgressError(RuntimeError):
    """Another build holds the index root's lock."""


class NoPreviousBuildError(ValueError):
    """A rollback was asked for, but no older complete build is kept."""


def build_command(index_root: Path) -> str:
    """The command that (re)builds the index at `index_root`, for error messages."""
    return f"policyqa index build --index {index_root}"


def new_build_id() -> str:
    """A sortable, unique build id: UTC time plus a random suffix."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    return f"{stamp}-{secrets.token_hex(3)}"


def resolve_live(index_root: Path) -> Path:
    """The folder of the live build; a folder holding manifest.json is itself a build."""
    if (index_root / MANIFEST).is_file():
        return index_root
    pointer = index_root / CURRENT
    if not pointer.is_file():
        raise IndexNotFoundError(
            f"no index at {index_root}: build one with `{build_command(index_root)}`"
        )
    build_id = pointer.read_text(encoding="utf-8").strip()
    folder = index_root / BUILDS / build_id
    is_name = bool(build_id) and Path(build_id).name == build_id and build_id[0] != "."
    if not is_name or not (folder / MANIFEST).is_file():
        raise IndexNotFoundError(
            f"{pointer} names build {build_id!r}, which is missing or incomplete: "
            f"rebuild with `{build_command(index_root)}`"
        )
    return folder


def live_build_id(index_root: Path) -> str | None:
    """The id CURRENT names, or None when nothing was published yet."""
    pointer = index_root / CURRENT
    if not pointer.is_file():
        return None
    return pointer.read_text(encoding="utf-8").strip() or None


def list_builds(index_root: Path) -> list[str]:
    """Ids of the complete builds under the root, oldest first."""
    builds = index_root / BUILDS
    if not builds.is_dir():
        return []
    return sorted(
        p.name for p in builds.iterdir() if p.is_dir() and not p.name.startswith(TMP_PREFIX)
    )


@contextmanager
def build_lock(index_root: Path) -> Iterator[None]:
    """Hold the root's lock for a whole build, so two builds never clean up each other."""
    index_root.mkdir(parents=True, exist_ok=True)
    with open(index_root / LOCK, "a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as err:
            raise BuildInProgressError(
                f"another build is running on {index_root}; wait for it to finish"
            ) from err
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def start_build(index_root: Path, build_id: str) -> Path:
    """Remove temp folders of killed builds and create this build's temp folder."""
    builds = index_root / BUILDS
    builds.mkdir(parents=True, exist_ok=True)
    for stale in builds.glob(f"{TMP_PREFIX}*"):
        logger.info("removing %s left by an interrupted build", stale)
        shutil.rmtree(stale)
    tmp = builds / f"{TMP_PREFIX}{build_id}"
    tmp.mkdir()
    return tmp


def abandon_build(tmp: Path) -> None:
    """Remove the temp folder of a build that failed."""
    if tmp.exists():
        shutil.rmtree(tmp)


def publish_build(index_root: Path, tmp: Path, build_id: str, keep: int = KEEP_BUILDS) -> Path:
    """Rename the finished temp folder, swap CURRENT to it, then prune old builds."""
    final = index_root / BUILDS / build_id
    _fsync_tree(tmp)
    tmp.rename(final)
    _fsync_dir(final.parent)
    _swap_pointer(index_root, build_id)
    prune_builds(index_root, keep)
    return final


def previous_build(index_root: Path) -> str:
    """The build a rollback makes live: the newest complete build older than the live one
    (the newest of all when CURRENT names none that exists)."""
    live = live_build_id(index_root)
    builds = [b for b in list_builds(index_root) if (index_root / BUILDS / b / MANIFEST).is_file()]
    if live in builds:
        builds = [b for b in builds if b < live]
    if not builds:
        raise NoPreviousBuildError(
            f"no build older than the live one ({live or 'none'}) is kept under {index_root}; "
            f"rebuild with `{build_command(index_root)}`"
        )
    return builds[-1]


def make_live(index_root: Path, build_id: str) -> None:
    """Point CURRENT at a complete build (atomically)."""
    if not (index_root / BUILDS / build_id / MANIFEST).is_file():
        raise IndexNotFoundError(f"no complete build {build_id!r} under {index_root}")
    _swap_pointer(index_root, build_id)


def _swap_pointer(index_root: Path, build_id: str) -> None:
    # os.replace of a file is atomic: readers see the old id or the new one.
    tmp = index_root / f"{CURRENT}{TMP_PREFIX}{build_id}"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(build_id + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, index_root / CURRENT)
    _fsync_dir(index_root)


def prune_builds(index_root: Path, keep: int = KEEP_BUILDS) -> list[str]:
    """Remove complete builds beyond the newest `keep`, never the live one."""
    live = live_build_id(index_root)
    builds = list_builds(index_root)
    old = [b for b in builds[: max(0, len(builds) - keep)] if b != live]
    for build_id in old:
        logger.debug("removing old build %s", build_id)
        shutil.rmtree(index_root / BUILDS / build_id)
    return old


def _fsync_tree(folder: Path) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_dir():
            _fsync_dir(path)
        else:
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
