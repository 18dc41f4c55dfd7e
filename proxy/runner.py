"""Run mitmproxy programmatically (``DumpMaster``) with or without the clickto addon.

Used by ``clickto proxy`` (in the foreground, Ctrl-C stops it), and by tests and the benchmark
(``ProxyThread``: a real proxy on a free loopback port in a background thread with its own event loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

from mitmproxy import options as mitm_options
from mitmproxy.tools.dump import DumpMaster

from proxy.addon import ClicktoInjector


def build_master(
    server: str | None,
    site: str | None,
    only: Sequence[str] = (),
    host: str = "127.0.0.1",
    port: int = 8080,
    quiet: bool = False,
    show_flows: bool = False,
    **extra: Any,
) -> tuple[DumpMaster, ClicktoInjector | None]:
    """A DumpMaster listening on ``host:port``; with the addon unless ``server`` is None.
    ``quiet`` drops mitmproxy's terminal log, ``show_flows`` prints every flow like mitmdump.
    Must be called with a running event loop (mitmproxy binds the master to it)."""
    opts = mitm_options.Options(listen_host=host, listen_port=port)
    master = DumpMaster(opts, with_termlog=not quiet, with_dumper=show_flows)
    addon = None
    if server is not None:
        addon = ClicktoInjector()
        master.addons.add(addon)
        extra.update(clickto_server=server, clickto_site=site or "", clickto_only=list(only))
    opts.update(**extra)
    return master, addon


class ProxyThread:
    """mitmproxy in a daemon thread; ``port`` is known once ``start()`` returns.
    One at a time per process: mitmproxy's ``ctx`` is a global that the newest master takes over."""

    def __init__(self, server: str | None, site: str | None = None, only: Sequence[str] = (), **extra: Any) -> None:
        self.args = (server, site, list(only))
        self.extra = extra
        self.master: DumpMaster | None = None
        self.addon: ClicktoInjector | None = None
        self.port = 0
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="mitmproxy", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        async def main() -> None:
            server, site, only = self.args
            self.master, self.addon = build_master(server, site, only, port=0, quiet=True, **self.extra)
            await self.master.run()

        try:
            asyncio.run(main())
        except BaseException as exc:  # noqa: BLE001 - reported by start()
            self.error = exc

    def start(self, timeout: float = 15.0) -> "ProxyThread":
        self.thread.start()
        deadline = time.monotonic() + timeout
        while True:
            if self.master is not None:
                server = self.master.addons.get("proxyserver")
                addrs = server.listen_addrs() if server is not None else []
                if addrs:
                    self.port = int(addrs[0][1])
                    return self
            if not self.thread.is_alive():
                raise RuntimeError(f"mitmproxy exited during start-up: {self.error!r}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"mitmproxy did not listen within {timeout}s")
            time.sleep(0.02)

    def stop(self, timeout: float = 10.0, drain: float = 1.0) -> None:
        """Shut down; first give connections that clients just closed up to ``drain`` seconds to wind
        down, so that mitmproxy does not stop with their tasks half-way (it then warns about coroutines
        never awaited)."""
        if self.master is not None:
            server = self.master.addons.get("proxyserver")
            deadline = time.monotonic() + drain
            while server is not None and server.connections and time.monotonic() < deadline:
                time.sleep(0.02)
            self.master.shutdown()
        self.thread.join(timeout)


@contextlib.contextmanager
def run_proxy(server: str | None, site: str | None = None, only: Sequence[str] = (), **extra: Any) -> Iterator[ProxyThread]:
    """A real mitmproxy (with the addon unless ``server`` is None) for the ``with`` block."""
    proxy = ProxyThread(server, site, only, **extra).start()
    try:
        yield proxy
    finally:
        proxy.stop()
