"""Helpers for tests that need real servers and a real browser.

QA engineers can use these too: ``serve_app`` runs any ASGI app under a real uvicorn on a free
loopback port in a background thread; ``chromium_launch_options`` finds a Chromium that works on
a machine without Playwright's own browser download.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

import uvicorn

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def run_coroutine(coroutine: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
    """Run ``coroutine`` to completion on a fresh event loop in a worker thread.

    Playwright's sync API marks the main thread's event loop as running for the whole test
    session, so a plain ``asyncio.run`` in any later test fails; a worker thread has no loop.
    """
    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(asyncio.run, coroutine).result(timeout=timeout)


@contextlib.contextmanager
def reaped(process: subprocess.Popen) -> Iterator[subprocess.Popen]:
    """``process``, killed and reaped on the way out if it still runs: a failed assertion in a test that drives a
    command (``clickto demo``, ``clickto proxy``) must not leave the command running."""
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class ServerThread:
    """A uvicorn server running in a daemon thread; ``stop()`` shuts it down and waits."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int | None = None, **config: Any) -> None:
        self.host = host
        self.port = port or free_port(host)
        config.setdefault("log_level", "warning")
        config.setdefault("lifespan", "on")
        self.server = uvicorn.Server(uvicorn.Config(app, host=host, port=self.port, **config))
        self.server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self.thread = threading.Thread(target=self.server.run, name=f"uvicorn:{self.port}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> "ServerThread":
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError(f"server on {self.url} exited during start-up")
            if time.monotonic() > deadline:
                raise TimeoutError(f"server on {self.url} did not start within {timeout}s")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)


@contextlib.contextmanager
def serve_app(app: Any, host: str = "127.0.0.1", port: int | None = None, **config: Any) -> Iterator[ServerThread]:
    """Run ``app`` on a free loopback port for the duration of the ``with`` block."""
    server = ServerThread(app, host=host, port=port, **config).start()
    try:
        yield server
    finally:
        server.stop()


def chromium_executable() -> str | None:
    """Debian's Chromium when present (Playwright cannot download its own browser here), else None
    so that Playwright falls back to its own build where one is installed."""
    explicit = os.environ.get("CLICKTO_CHROMIUM")
    if explicit:
        return explicit
    for candidate in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if os.path.exists(candidate):
            return candidate
    return shutil.which("chromium")


def chromium_launch_options(**extra: Any) -> dict[str, Any]:
    """Keyword arguments for ``playwright.chromium.launch``."""
    options: dict[str, Any] = {"headless": True, "args": list(CHROMIUM_ARGS)}
    executable = chromium_executable()
    if executable:
        options["executable_path"] = executable
    extra_args = extra.pop("args", [])
    options["args"] += list(extra_args)
    options.update(extra)
    return options
