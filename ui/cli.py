"""The `policyqa` command: subcommands, logging, and the one place errors become exit codes.

Each command lives in a ui/cmd_*.py module exposing

    register(subparsers)  add its parser(s); set_defaults(run=run) on each leaf parser
    run(args) -> int      do the work; heavy imports (torch, faiss, gradio) inside it
    error_codes() -> dict[type[Exception], int]   its expected errors -> exit code (optional)

and is listed once in _command_modules(), so `policyqa --help` imports none of the heavy
libraries.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a reader that closed the pipe

DESCRIPTION = """\
Answer questions about Chinese policy documents (十四五规划 …), every sentence cited
to its source passage.

Typical use:
  policyqa index build --docs corpus         # build the index (var/index)
  policyqa index status                      # what the live index holds
  policyqa ask "新乡高新区的氢能目标是什么"      # a cited answer
  policyqa serve                             # the web app on 127.0.0.1:7860
"""
EPILOG = """\
Settings are read from defaults < policyqa.toml (or --config FILE) < environment
(POLICYQA_LLM_BASE_URL, POLICYQA_LLM_MODEL, POLICYQA_LLM_API_KEY or OPENAI_API_KEY)
< command-line flags. Arguments, files and questions are checked before any model or
index is loaded; an error is one English line on stderr, `policyqa: error: …`.
Exit codes: 0 ok, 1 failure, 2 bad input (arguments, files, config, question,
missing or mismatched index).
"""
# Loggers whose records are shown at -v; other libraries' (faiss, jieba, httpx …) only at -vv.
OWN_LOGGERS = ("rag", "index", "ui", "eval", "__main__")


def _command_modules() -> list[ModuleType]:
    """The command modules, in help order: add a command here, one line."""
    from ui import cmd_ask, cmd_eval, cmd_index, cmd_serve

    return [cmd_index, cmd_ask, cmd_eval, cmd_serve]


class CommandParser(argparse.ArgumentParser):
    """A parser that accepts the global options on every (sub)command line."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Add -v/-q/--config; sub-parsers leave them unset unless given there."""
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)
        group = self.add_argument_group("global options")
        group.add_argument(
            "-v", "--verbose", action="count", default=argparse.SUPPRESS,
            help="more log output (-vv for debug)",
        )  # fmt: skip
        group.add_argument(
            "-q", "--quiet", action="count", default=argparse.SUPPRESS,
            help="less output: no progress bars, errors only",
        )  # fmt: skip
        group.add_argument(
            "--config", type=Path, metavar="FILE", default=argparse.SUPPRESS,
            help="TOML settings file (default: ./policyqa.toml when present)",
        )  # fmt: skip

    def error(self, message: str) -> NoReturn:
        """One line instead of argparse's usage block, exit 2 like every bad input."""
        self.exit(EXIT_BAD_INPUT, f"policyqa: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with every registered command."""
    parser = CommandParser(prog="policyqa", description=DESCRIPTION, epilog=EPILOG)
    parser.set_defaults(verbose=0, quiet=0, config=None, run=None)
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for module in _command_modules():
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command line; returns the process exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:  # --help, or a bad argument (one line already printed)
        return int(done.code or 0)
    _configure_logging(args.verbose - args.quiet)
    if args.run is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        print("policyqa: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader stopped reading (policyqa ask … | head): not a failure of ours. Point
        # stdout at /dev/null so flushing it at exit does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    # Evaluated only when an exception propagates, so the error classes' modules
    # (already imported by the failing command) cost nothing on the happy path.
    except tuple(_error_codes()) as err:
        print(f"policyqa: error: {err}", file=sys.stderr)
        return _exit_code(err)
    # The last line of defence: an unexpected failure is one line too (the traceback at -vv).
    except Exception as err:
        logging.getLogger(__name__).debug("unexpected error", exc_info=True)
        first = (str(err).strip().splitlines() or [""])[0]
        print(
            f"policyqa: error: unexpected {type(err).__name__}: {first} "
            "(run again with -vv for details)",
            file=sys.stderr,
        )
        return EXIT_FAILURE


def _error_codes() -> dict[type[Exception], int]:
    from index.config import ConfigError
    from index.embedder import EmbeddingModelError
    from index.rerank import RerankerError
    from ui.checks import UsageError

    # Settings that name a model which can't be loaded are bad input, like a bad config.
    codes: dict[type[Exception], int] = {
        ConfigError: EXIT_BAD_INPUT,
        UsageError: EXIT_BAD_INPUT,
        EmbeddingModelError: EXIT_BAD_INPUT,
        RerankerError: EXIT_BAD_INPUT,
    }
    for module in _command_modules():
        if hasattr(module, "error_codes"):
            codes.update(module.error_codes())
    return codes


def _exit_code(err: Exception) -> int:
    for kind in type(err).__mro__:
        code = _error_codes().get(kind)
        if code is not None:
            return code
    return EXIT_FAILURE


def _configure_logging(verbosity: int) -> None:
    level = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(
        verbosity, logging.DEBUG if verbosity > 1 else logging.ERROR
    )
    root = logging.getLogger()
    if root.handlers:  # the host (a test runner) configured logging already
        return
    handler = logging.StreamHandler(sys.stderr)
    # On the handler too: bm25s and others set their own loggers to DEBUG.
    handler.setLevel(level)
    if level > logging.DEBUG:
        handler.addFilter(_quiet_libraries)
        # Library deprecation and runtime warnings are for their developers, not for staff.
        warnings.simplefilter("ignore")
    logging.captureWarnings(True)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)


def _quiet_libraries(record: logging.LogRecord) -> bool:
    """Below -vv, other libraries' info lines (faiss's "Could not load AVX512" …) are noise."""
    own = record.name.split(".")[0] in OWN_LOGGERS
    return own or record.levelno >= logging.WARNING


if __name__ == "__main__":
    sys.exit(main())
