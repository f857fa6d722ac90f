"""Shared by the serving benchmarks: start `policyqa serve` on a free port, read its memory."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "eval" / "gold" / "dev.jsonl"
STARTUP_S = 300  # loading the default model and the index can take a while on 2 cores


def gold_questions(path: Path = GOLD) -> list[str]:
    """The questions of a gold set, in file order."""
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line)["question"] for line in handle if line.strip()]


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(index: Path, *extra: str, env: dict[str, str] | None = None) -> Iterator[Server]:
    """`policyqa serve --index INDEX EXTRA…` on a free port, stopped on exit."""
    port = free_port()
    command = [sys.executable, "-m", "ui.cli", "-q", "serve", "--index", str(index)]
    command += ["--port", str(port), *extra]
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    process = subprocess.Popen(command, cwd=ROOT, env=environment)
    try:
        server = Server(f"http://127.0.0.1:{port}/", process)
        server.wait_ready()
        yield server
    finally:
        process.terminate()
        process.wait(timeout=30)


class Server:
    """A running `policyqa serve` process and its URL."""

    def __init__(self, url: str, process: subprocess.Popen[bytes]) -> None:
        """Wrap the process started by `serve`."""
        self.url = url
        self.process = process

    def wait_ready(self) -> None:
        """Return once the page answers; SystemExit when the process dies or never answers."""
        deadline = time.monotonic() + STARTUP_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"policyqa serve exited with code {self.process.returncode}")
            try:
                if httpx.get(self.url, timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        raise SystemExit(f"policyqa serve did not answer at {self.url} within {STARTUP_S} s")

    def cpu_s(self) -> float:
        """CPU seconds (user + system) the server process has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text(encoding="ascii")
        utime, stime = fields.rsplit(")", 1)[1].split()[11:13]
        return (int(utime) + int(stime)) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        """Resident memory of the server process, in MB (from /proc)."""
        status = Path(f"/proc/{self.process.pid}/status").read_text(encoding="ascii")
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("VmRSS missing from /proc status")


class ApiError(RuntimeError):
    """The app answered an event with an error, or not at all."""


class PageSession:
    """One browser tab's traffic: a fixed session id, events joined to the queue as the page does.

    The page posts each event to /gradio_api/queue/join with its session id and reads
    the results from /gradio_api/queue/data (server-sent events), so the server keeps
    one session (its state, its conversation) per tab, as it does for staff.
    """

    def __init__(self, http: httpx.Client, url: str, api_name: str) -> None:
        """Find the event's function id in the app's config; a new session id."""
        self.http = http
        self.url = url
        config = http.get(f"{url}config").json()
        self.fn_index = next(d["id"] for d in config["dependencies"] if d["api_name"] == api_name)
        self.session_hash = os.urandom(8).hex()

    def run(self, data: list[Any]) -> list[Any]:
        """Send one event and return its final outputs; ApiError when it fails."""
        body = {
            "data": data,
            "fn_index": self.fn_index,
            "session_hash": self.session_hash,
            "event_data": None,
            "trigger_id": None,
        }
        joined = self.http.post(f"{self.url}gradio_api/queue/join", json=body)
        joined.raise_for_status()
        params = {"session_hash": self.session_hash}
        with self.http.stream("GET", f"{self.url}gradio_api/queue/data", params=params) as stream:
            stream.raise_for_status()
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line.removeprefix("data:"))
                if message.get("msg") == "process_completed":
                    output = message.get("output", {})
                    if not message.get("success", False):
                        raise ApiError(f"event failed: {str(output)[:200]}")
                    return list(output["data"])
        raise ApiError("the event stream ended without a result")


def chat_history(outputs: Sequence[Any]) -> list[dict[str, Any]]:
    """The chat history among an /ask call's outputs (the list of role/content messages)."""
    for value in outputs:
        if isinstance(value, list) and all(isinstance(m, dict) and "role" in m for m in value):
            return value
    return []


def message_text(message: dict[str, Any]) -> str:
    """The text of one chat message as gradio_client returns it."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def percentile(values: Sequence[float], p: float) -> float:
    """The p-quantile (0–1) of `values` by nearest rank; NaN when empty."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]
