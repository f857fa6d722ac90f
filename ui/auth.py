"""Optional sign-in for `policyqa serve`: a file of `user:password-hash` lines.

Hash format (one line per user, `#` comments and blank lines ignored):

    alice:pbkdf2_sha256$600000$<salt, base64>$<derived key, base64>

PBKDF2-HMAC-SHA256 from the standard library; create a line with
`policyqa serve --hash-password alice`. ui/signin.py checks sign-ins against these.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from pathlib import Path

SCHEME = "pbkdf2_sha256"
DEFAULT_ITERATIONS = 600_000  # OWASP's 2023 figure for PBKDF2-HMAC-SHA256
SALT_BYTES = 16


class AuthFileError(ValueError):
    """An auth file that cannot be used; the message names the file and line."""


def hash_password(password: str, iterations: int = DEFAULT_ITERATIONS) -> str:
    """A `pbkdf2_sha256$iterations$salt$hash` string for `password`."""
    if not password:
        raise ValueError("password is empty: choose a non-empty password")
    salt = secrets.token_bytes(SALT_BYTES)
    key = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return f"{SCHEME}${iterations}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, encoded: str) -> bool:
    """True when `password` matches an encoded hash (compared in constant time)."""
    _scheme, iterations, salt, key = _split_hash(encoded)
    candidate = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return hmac.compare_digest(candidate, key)


def auth_line(user: str, password: str, iterations: int = DEFAULT_ITERATIONS) -> str:
    """One line for an auth file."""
    if not user or ":" in user or user != user.strip():
        raise ValueError(f"user name {user!r} must be non-empty, without ':' or edge spaces")
    return f"{user}:{hash_password(password, iterations)}"


def read_auth_file(path: Path) -> dict[str, str]:
    """Users and their encoded hashes; AuthFileError names the file and line on bad input."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise AuthFileError(f"{path}: cannot read auth file ({err.strerror})") from err
    users: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        user, sep, encoded = line.partition(":")
        where = f"{path}:{number}"
        if not sep or not user:
            raise AuthFileError(f"{where}: expected 'user:{SCHEME}$…'; got no user name")
        try:
            _split_hash(encoded)
        except ValueError as err:
            raise AuthFileError(
                f"{where}: {err}; create lines with `policyqa serve --hash-password {user}`"
            ) from err
        if user in users:
            raise AuthFileError(f"{where}: user {user!r} appears twice")
        users[user] = encoded
    if not users:
        raise AuthFileError(f"{path}: no users; add lines made by `policyqa serve --hash-password`")
    return users


def iterations_of(encoded: str) -> int:
    """The PBKDF2 iteration count of an encoded hash."""
    return _split_hash(encoded)[1]


def _split_hash(encoded: str) -> tuple[str, int, bytes, bytes]:
    parts = encoded.split("$")
    if len(parts) != 4 or parts[0] != SCHEME:
        raise ValueError(f"password hash must look like '{SCHEME}$iterations$salt$hash'")
    try:
        iterations = int(parts[1])
        salt = base64.b64decode(parts[2], validate=True)
        key = base64.b64decode(parts[3], validate=True)
    except ValueError as err:
        raise ValueError(f"password hash has a malformed field ({err})") from err
    if iterations < 1 or not salt or not key:
        raise ValueError("password hash needs iterations ≥ 1, a salt and a key")
    return parts[0], iterations, salt, key


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
