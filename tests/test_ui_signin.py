"""Sign-in checks: off the event loop, the same work for any name, back-off after failures."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import replace

import pytest

from rag.config import ServeSettings
from ui.auth import hash_password
from ui.guard import CLIENT_ADDRESS
from ui.signin import SignInGuard

FAST = 1_000  # iterations: the rules are what is tested here, not the cost
LIMITS = replace(
    ServeSettings(), signin_max_failures=3, signin_backoff_s=10.0, signin_backoff_max_s=40.0
)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def guard(clock: Clock) -> SignInGuard:
    users = {"alice": hash_password("pw-a", FAST), "bob": hash_password("pw-b", FAST)}
    return SignInGuard(users, LIMITS, clock=clock)


def _try(guard: SignInGuard, user: str, password: str, address: str = "10.0.0.1") -> bool:
    async def attempt() -> bool:
        CLIENT_ADDRESS.set(address)
        return await guard.check(user, password)

    return asyncio.run(attempt())


def test_known_users_sign_in_and_others_do_not(guard: SignInGuard) -> None:
    assert _try(guard, "alice", "pw-a") and _try(guard, "bob", "pw-b")
    assert not _try(guard, "alice", "pw-b")
    assert not _try(guard, "carol", "pw-a")  # unknown name: checked against the decoy
    assert not _try(guard, "carol", "")


def test_the_decoy_costs_what_a_real_hash_costs() -> None:
    users = {"alice": hash_password("pw", 12_345)}
    guard = SignInGuard(users, LIMITS)
    assert guard._decoy.split("$")[1] == "12345"


def test_the_password_is_checked_off_the_event_loop(guard: SignInGuard) -> None:
    threads: list[str] = []
    import ui.signin

    real = ui.signin.verify_password

    def spy(password: str, encoded: str) -> bool:
        threads.append(threading.current_thread().name)
        return real(password, encoded)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ui.signin, "verify_password", spy)
        _try(guard, "alice", "pw-a")
        _try(guard, "nobody", "pw-a")
    assert len(threads) == 2
    assert all(name.startswith("policyqa-signin") for name in threads)


def test_failures_for_a_name_lead_to_a_doubling_back_off(guard: SignInGuard, clock: Clock) -> None:
    for n in range(LIMITS.signin_max_failures):
        assert not _try(guard, "alice", "wrong", address=f"10.0.1.{n}")
    # Blocked for 10 s: even the right password is refused, from any address.
    assert not _try(guard, "alice", "pw-a", address="10.0.2.1")
    clock.now += 10.5
    assert not _try(guard, "alice", "wrong", address="10.0.2.2")  # 4th failure: 20 s
    clock.now += 15
    assert not _try(guard, "alice", "pw-a", address="10.0.2.3")
    clock.now += 6
    assert _try(guard, "alice", "pw-a", address="10.0.2.4")
    assert _try(guard, "bob", "pw-b", address="10.0.2.5")  # other names were never blocked


def test_failures_from_an_address_block_that_address_for_every_name(
    guard: SignInGuard, clock: Clock
) -> None:
    for name in ("x1", "x2", "x3"):
        assert not _try(guard, name, "guess", address="10.9.9.9")
    assert not _try(guard, "bob", "pw-b", address="10.9.9.9")
    assert _try(guard, "bob", "pw-b", address="10.9.9.10")
    clock.now += LIMITS.signin_backoff_s + 1
    assert _try(guard, "bob", "pw-b", address="10.9.9.9")


def test_the_back_off_is_capped_and_old_failures_are_forgotten(
    guard: SignInGuard, clock: Clock
) -> None:
    for _ in range(10):
        _try(guard, "alice", "wrong")
        clock.now += LIMITS.signin_backoff_max_s + 1  # each wait is at most the cap
    assert not _try(guard, "alice", "wrong")
    clock.now += LIMITS.signin_forget_s + LIMITS.signin_backoff_max_s + 1
    for _ in range(LIMITS.signin_max_failures - 1):
        assert not _try(guard, "alice", "wrong")
    assert _try(guard, "alice", "pw-a")  # counting started afresh: not blocked yet


def test_a_success_clears_the_failures(guard: SignInGuard) -> None:
    for _ in range(LIMITS.signin_max_failures - 1):
        _try(guard, "alice", "wrong")
    assert _try(guard, "alice", "pw-a")
    for _ in range(LIMITS.signin_max_failures - 1):
        _try(guard, "alice", "wrong")
    assert _try(guard, "alice", "pw-a")


def test_checks_beyond_the_waiting_limit_are_refused_at_once(clock: Clock) -> None:
    limits = replace(LIMITS, signin_max_waiting=2)
    guard = SignInGuard({"alice": hash_password("pw-a", 200_000)}, limits, clock=clock)

    async def crowd() -> list[bool]:
        CLIENT_ADDRESS.set("10.1.1.1")
        return list(await asyncio.gather(*(guard.check("alice", "pw-a") for _ in range(5))))

    results = asyncio.run(crowd())
    assert results.count(True) == 2 and results.count(False) == 3
