"""Sign-in checks that neither block the server nor tell guessers anything.

- The password hash (PBKDF2, deliberately slow) runs on one worker thread, never on
  the event loop that serves every other request, and at a lower CPU priority than
  answering (`signin_nice`), so a flood of guesses does not slow signed-in staff;
  at most a few checks wait for it, more are refused at once.
- An unknown user name costs the same hash as a known one (against a decoy hash
  with the same iterations), so timing does not reveal which names exist.
- Failures are counted per user name and per client address; past the limit each
  further attempt waits out a back-off that doubles (up to a maximum) and is refused
  without hashing. A name or address without failures for a while starts afresh.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from rag.config import ServeSettings
from ui.auth import DEFAULT_ITERATIONS, hash_password, iterations_of, verify_password
from ui.guard import CLIENT_ADDRESS

log = logging.getLogger(__name__)


@dataclass
class _Failures:
    count: int = 0
    last: float = 0.0
    blocked_until: float = 0.0


class SignInGuard:
    """The `auth=` check for gradio: `await guard.check(user, password)`."""

    def __init__(
        self,
        users: dict[str, str],
        limits: ServeSettings,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Users and their encoded hashes; limits from the [serve] settings."""
        self.users = users
        self.limits = limits
        self._clock = clock
        iterations = max((iterations_of(h) for h in users.values()), default=DEFAULT_ITERATIONS)
        self._decoy = hash_password(secrets.token_urlsafe(16), iterations)
        self._hasher = ThreadPoolExecutor(
            max_workers=1,
            thread_name_prefix="policyqa-signin",
            initializer=_lower_priority,
            initargs=(limits.signin_nice,),
        )
        self._failures: dict[str, _Failures] = {}
        self._waiting = 0
        self._lock = threading.Lock()

    async def check(self, user: str, password: str) -> bool:
        """True for a known user with the right password, when no back-off is in force."""
        keys = (f"name:{user}", f"address:{CLIENT_ADDRESS.get()}")
        if self._blocked(keys) or not self._reserve():
            log.info("sign-in for %r refused without checking (back-off or busy)", user[:40])
            return False
        try:
            encoded = self.users.get(user, self._decoy)
            loop = asyncio.get_running_loop()
            matched = await loop.run_in_executor(self._hasher, verify_password, password, encoded)
        finally:
            with self._lock:
                self._waiting -= 1
        ok = matched and user in self.users
        self._record(keys, ok)
        return ok

    def _reserve(self) -> bool:
        with self._lock:
            if self._waiting >= self.limits.signin_max_waiting:
                return False
            self._waiting += 1
            return True

    def _blocked(self, keys: Iterable[str]) -> bool:
        now = self._clock()
        with self._lock:
            self._forget(now)
            return any(
                (f := self._failures.get(key)) is not None and f.blocked_until > now for key in keys
            )

    def _record(self, keys: Iterable[str], ok: bool) -> None:
        now = self._clock()
        with self._lock:
            for key in keys:
                if ok:
                    self._failures.pop(key, None)
                    continue
                failures = self._failures.setdefault(key, _Failures())
                failures.count += 1
                failures.last = now
                over = failures.count - self.limits.signin_max_failures
                if over >= 0:
                    wait = min(
                        self.limits.signin_backoff_s * 2**over, self.limits.signin_backoff_max_s
                    )
                    failures.blocked_until = now + wait
                    log.warning(
                        "sign-in: %d failures for %s; next try in %.0f s",
                        failures.count,
                        key[:60],
                        wait,
                    )

    def _forget(self, now: float) -> None:
        """Drop names and addresses whose last failure is old (keeps the table small)."""
        horizon = now - self.limits.signin_forget_s
        stale = [
            k for k, f in self._failures.items() if f.last < horizon and f.blocked_until <= now
        ]
        for key in stale:
            del self._failures[key]


def _lower_priority(niceness: int) -> None:
    """Run the calling thread `niceness` steps below the rest of the server (Linux: per thread)."""
    if niceness <= 0 or not hasattr(os, "setpriority"):
        return
    tid = threading.get_native_id()
    try:
        current = os.getpriority(os.PRIO_PROCESS, tid)
        os.setpriority(os.PRIO_PROCESS, tid, min(19, current + niceness))
    except OSError as err:  # not permitted here: checks still work, only not deprioritized
        log.warning("sign-in checks keep the normal CPU priority (%s)", err)
