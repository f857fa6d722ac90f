"""The service of the live build, replaced between questions when a new build is published.

`policyqa index build` publishes a build by swapping the index root's CURRENT
pointer. A running server notices the change (a one-line file read every few
seconds), opens the new build in the background while the old one keeps
answering, then hands it to the next question. Answers in flight keep the service
they started with, so they finish on the old build. Once the last of them is done,
the old build's memory is handed back to the system (the model alone is hundreds of
megabytes, which the C allocator would otherwise keep).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path

from index.publish import live_build_id
from index.service import QAService
from rag.config import Settings

log = logging.getLogger(__name__)

Opener = Callable[[Path, Settings], QAService]


class LiveService:
    """Holds the QAService of the live build under an index root; `current()` per question."""

    def __init__(
        self,
        index_root: Path,
        settings: Settings,
        opener: Opener = QAService.open,
        check_every_s: float | None = None,
    ) -> None:
        """Open the live build now (errors propagate: the server cannot start without it)."""
        self.index_root = index_root
        self.settings = settings
        self._opener = opener
        self._check_every_s = (
            settings.serve.reload_check_s if check_every_s is None else check_every_s
        )
        self._pointer = live_build_id(index_root)  # None: the root is a build folder itself
        self._service = opener(index_root, settings)
        self._lock = threading.Lock()
        self._opening: str | None = None  # the build id being opened in the background
        self._failed: str | None = None  # a build id that could not be opened: not retried
        self._checked = time.monotonic()
        self._retired: weakref.ref[QAService] | None = None  # the build replaced last
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

    def current(self) -> QAService:
        """The service for the next question (and a check for a new build, at most every few s)."""
        if time.monotonic() - self._checked >= self._check_every_s:
            self.check()
        return self._service

    def check(self) -> None:
        """Start opening the build CURRENT names when it is not the one being served."""
        self._checked = time.monotonic()
        self._release_retired()
        if self._pointer is None:
            return
        try:
            wanted = live_build_id(self.index_root)
        except OSError as err:  # e.g. the index root on a network share, briefly away
            log.warning("cannot read the live build of %s (%s); will retry", self.index_root, err)
            return
        with self._lock:
            if wanted in (None, self._pointer, self._opening, self._failed):
                return
            self._opening = wanted
        threading.Thread(
            target=self._open, args=(wanted,), name="policyqa-reload", daemon=True
        ).start()

    def watch(self) -> None:
        """Check for new builds in the background even while nobody asks (until `close`)."""
        if self._watcher is not None or self._pointer is None:
            return
        self._watcher = threading.Thread(target=self._watch, name="policyqa-watch", daemon=True)
        self._watcher.start()

    def close(self) -> None:
        """Stop the background checks."""
        self._stop.set()

    def _release_retired(self) -> None:
        """After a switch: once no answer uses the old build, return its memory to the system."""
        with self._lock:
            retired = self._retired
        if retired is None:
            return
        gc.collect()  # the service and its retriever refer to each other
        if retired() is not None:
            return  # an answer in flight still uses it
        with self._lock:
            if self._retired is not retired:
                return  # another thread got here first
            self._retired = None
        _trim_heap()

    def _watch(self) -> None:
        while not self._stop.wait(self._check_every_s):
            self.check()

    def _open(self, build_id: str) -> None:
        started = time.monotonic()
        try:
            service = self._opener(self.index_root, self.settings)
        # A broken new build must not take the server down: keep serving the old one.
        except Exception:
            log.exception(
                "new build %s under %s could not be opened; still serving build %s",
                build_id,
                self.index_root,
                self._pointer,
            )
            with self._lock:
                self._failed, self._opening = build_id, None
            return
        opened = str(service.status().get("build_id") or build_id)
        with self._lock:
            self._retired = weakref.ref(self._service)
            self._service, self._pointer, self._opening = service, opened, None
        log.info(
            "now serving build %s of %s (opened in %.1f s)",
            opened,
            self.index_root,
            time.monotonic() - started,
        )


def _trim_heap() -> None:
    """Ask the C allocator to return freed memory to the system (glibc; elsewhere a no-op)."""
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name) if name else None
    trim = getattr(libc, "malloc_trim", None)
    if trim is not None:
        trim(0)
        log.info("returned the previous build's memory to the system")
