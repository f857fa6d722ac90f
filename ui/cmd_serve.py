"""`policyqa serve`: the staff chat app in the browser (and `--hash-password` for sign-in lines)."""

from __future__ import annotations

import argparse
import getpass
import ipaddress
import sys
from pathlib import Path

from index.paths import DEFAULT_INDEX
from ui.startup import add_build_options, build_if_needed

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860
DEFAULT_CONCURRENCY = 2  # questions answered at once: about the CPU cores


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `serve`."""
    serve = subparsers.add_parser(
        "serve",
        help="open the chat app for staff in the browser",
        description=(
            "Serve the chat app: cited answers with a sources panel, region and document\n"
            "filters, 👍/👎 feedback. Binds to 127.0.0.1 unless --host says otherwise.\n"
            "Sign-in: --auth-file FILE with one `user:pbkdf2_sha256$…` line per user;\n"
            "make a line with `policyqa serve --hash-password USER`."
        ),
    )
    serve.add_argument(
        "--index", type=Path, default=DEFAULT_INDEX, metavar="DIR",
        help=f"index folder (default: {DEFAULT_INDEX})",
    )  # fmt: skip
    serve.add_argument(
        "--host", default=DEFAULT_HOST,
        help=f"address to listen on (default: {DEFAULT_HOST}; 0.0.0.0 for the whole network)",
    )  # fmt: skip
    serve.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default: {DEFAULT_PORT})"
    )
    serve.add_argument(
        "--auth-file", type=Path, metavar="FILE",
        help="require sign-in with the users of FILE (user:password-hash lines)",
    )  # fmt: skip
    serve.add_argument(
        "--feedback", type=Path, metavar="FILE",
        help="JSONL file for 👍/👎 feedback (default: $POLICYQA_HOME/feedback.jsonl)",
    )  # fmt: skip
    serve.add_argument(
        "--concurrency", type=int, default=DEFAULT_CONCURRENCY, metavar="N",
        help=f"questions answered at once; others wait in line (default: {DEFAULT_CONCURRENCY})",
    )  # fmt: skip
    serve.add_argument(
        "--hash-password", metavar="USER",
        help="print an auth-file line for USER (password read from the terminal or stdin) and exit",
    )  # fmt: skip
    add_build_options(serve)
    serve.set_defaults(run=run)


class ServeError(RuntimeError):
    """The server could not start listening (port taken, address not on this machine)."""


def error_codes() -> dict[type[Exception], int]:
    """An unusable auth file is bad input (exit 2); a server that cannot listen fails (exit 1)."""
    from ui.auth import AuthFileError

    return {AuthFileError: 2, ServeError: 1}


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted, or print a hashed password line."""
    if args.hash_password is not None:
        return _print_auth_line(args.hash_password)
    from index.config import load_settings
    from index.service import QAService
    from ui.app import build_app, launch
    from ui.auth import make_authenticator, read_auth_file
    from ui.feedback import FeedbackLog, default_feedback_path
    from ui.handlers import ChatHandlers

    if args.concurrency < 1:
        raise ServeError(f"--concurrency must be at least 1, got {args.concurrency}")
    users = read_auth_file(args.auth_file) if args.auth_file else None
    settings = load_settings(args.config)
    build_if_needed(args, settings)
    service = QAService.open(args.index, settings)
    feedback = FeedbackLog(args.feedback or default_feedback_path())
    demo = build_app(ChatHandlers(service, feedback), concurrency=args.concurrency)
    auth = make_authenticator(users) if users else None
    try:
        url = launch(demo, host=args.host, port=args.port, auth=auth, block=False)
    except OSError as err:
        raise ServeError(
            f"cannot listen on {args.host}:{args.port} ({err}); pass another --port or --host"
        ) from err
    sign_in = f"sign-in required ({len(users)} users)" if users else "no sign-in"
    print(f"policyqa serve: {url} — {sign_in}; feedback → {feedback.path}; Ctrl+C stops")
    if not users and not _is_loopback(args.host):
        print(
            f"policyqa serve: warning: listening on {args.host} without --auth-file; "
            "anyone who can reach this machine can use the app",
            file=sys.stderr,
        )
    demo.block_thread()
    return 0


def _print_auth_line(user: str) -> int:
    from ui.auth import auth_line

    if sys.stdin.isatty():
        password = getpass.getpass(f"password for {user}: ")
        if getpass.getpass("again: ") != password:
            print("policyqa serve: the passwords differ; nothing written", file=sys.stderr)
            return 2
    else:
        password = sys.stdin.readline().rstrip("\n")
    try:
        print(auth_line(user, password))
    except ValueError as err:
        print(f"policyqa serve: {err}", file=sys.stderr)
        return 2
    return 0


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
