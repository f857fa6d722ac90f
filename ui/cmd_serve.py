"""`policyqa serve`: the staff chat app in the browser (and `--hash-password` for sign-in lines)."""

from __future__ import annotations

import argparse
import getpass
import ipaddress
import sys
from pathlib import Path

from index.paths import DEFAULT_INDEX
from ui.checks import (
    IndexCatalog,
    UsageError,
    check_port_free,
    check_writable_file,
    port_number,
    positive_int,
)
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
            "filters, 有帮助/没帮助 feedback. Binds to 127.0.0.1 unless --host says otherwise.\n"
            "A build published while it runs (policyqa index build) is picked up between\n"
            "questions; answers in progress finish on the previous one.\n"
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
        "--port", type=port_number, default=DEFAULT_PORT, help=f"port (default: {DEFAULT_PORT})"
    )
    serve.add_argument(
        "--auth-file", type=Path, metavar="FILE",
        help="require sign-in with the users of FILE (user:password-hash lines)",
    )  # fmt: skip
    serve.add_argument(
        "--feedback", type=Path, metavar="FILE",
        help="JSONL file for 有帮助/没帮助 feedback (default: $POLICYQA_HOME/feedback.jsonl)",
    )  # fmt: skip
    serve.add_argument(
        "--concurrency", type=positive_int, default=DEFAULT_CONCURRENCY, metavar="N",
        help=f"questions answered at once; others wait in line (default: {DEFAULT_CONCURRENCY})",
    )  # fmt: skip
    serve.add_argument(
        "--hash-password", metavar="USER",
        help="print an auth-file line for USER (password read from the terminal or stdin) and exit",
    )  # fmt: skip
    add_build_options(serve)
    serve.set_defaults(run=run)


def error_codes() -> dict[type[Exception], int]:
    """An unusable auth file is bad input (exit 2)."""
    from ui.auth import AuthFileError

    return {AuthFileError: 2}


def run(args: argparse.Namespace) -> int:
    """Check every argument, load the live index, serve until interrupted."""
    if args.hash_password is not None:
        return _print_auth_line(args.hash_password)
    from index.config import load_settings
    from ui.auth import read_auth_file
    from ui.feedback import default_feedback_path

    users = read_auth_file(args.auth_file) if args.auth_file else None
    feedback_path = check_writable_file(args.feedback or default_feedback_path(), "--feedback")
    check_port_free(args.host, args.port)
    settings = load_settings(args.config)
    build_if_needed(args, settings)  # only when the documents or the settings changed
    IndexCatalog.read(args.index)  # a missing or unreadable index fails here, before the model

    from ui.app import build_app, launch
    from ui.feedback import FeedbackLog
    from ui.handlers import ChatHandlers
    from ui.live import LiveService
    from ui.signin import SignInGuard

    live = LiveService(args.index, settings)
    feedback = FeedbackLog(feedback_path)
    handlers = ChatHandlers(live, feedback, settings.serve)
    demo = build_app(handlers, concurrency=args.concurrency)
    auth = SignInGuard(users, settings.serve).check if users else None
    try:
        url = launch(
            demo, host=args.host, port=args.port, auth=auth, block=False, limits=settings.serve
        )
    except OSError as err:  # taken between the check and now
        raise UsageError(
            f"cannot listen on {args.host}:{args.port} ({err}); pass another --port or --host"
        ) from err
    live.watch()
    sign_in = f"sign-in required ({len(users)} users)" if users else "no sign-in"
    print(f"policyqa serve: {url} — {sign_in}; feedback → {feedback.path}; Ctrl+C stops")
    if not users and not _is_loopback(args.host):
        print(
            f"policyqa serve: warning: listening on {args.host} without --auth-file; "
            "anyone who can reach this machine can use the app",
            file=sys.stderr,
        )
    try:
        demo.block_thread()
    finally:
        live.close()
    return 0


def _print_auth_line(user: str) -> int:
    from ui.auth import auth_line

    if sys.stdin.isatty():
        password = getpass.getpass(f"password for {user}: ")
        if getpass.getpass("again: ") != password:
            raise UsageError("the passwords differ; nothing written")
    else:
        password = sys.stdin.readline().rstrip("\n")
    try:
        print(auth_line(user, password))
    except ValueError as err:
        raise UsageError(str(err)) from None
    return 0


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
