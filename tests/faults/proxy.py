"""A small TCP proxy between a client and a service, for fault tests (loopback only).

Modes, switchable while it runs:

- ``pass``: forward both ways;
- ``refuse``: close every connection at once, new and established (the
  service looks down; nothing is stopped on the shared server);
- ``drop_responses``: forward the request, let the service answer in full,
  then hang up on the client without passing the answer on: "committed, but
  the reply was lost". ``drops`` counts how many answers were swallowed, and
  ``drop_limit`` switches back to ``pass`` after that many;
- ``hold_responses``: forward the request, then hold the service's answer
  until the mode changes (a slow service). ``held`` counts answers held.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Callable, Iterator

CHUNK = 65536


class FaultProxy:
    """Listen on a free 127.0.0.1 port and forward to ``target_port``."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.mode = "pass"
        self.drops = 0
        self.drop_limit: int | None = None
        self.held = 0
        #: called (in the proxy's thread) each time an answer is swallowed
        self.on_drop: Callable[[], None] | None = None
        self._loop = asyncio.new_event_loop()
        self._connections: set[asyncio.StreamWriter] = set()
        self._ready = threading.Event()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self._thread = threading.Thread(target=self._run, daemon=True, name="fault-proxy")
        self._thread.start()
        self._ready.wait(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", self.port)
        )
        self._ready.set()
        self._loop.run_forever()
        server.close()

    def set_mode(self, mode: str, *, drop_limit: int | None = None) -> None:
        """Switch mode; ``refuse`` also cuts every open connection."""
        assert mode in {"pass", "refuse", "drop_responses", "hold_responses"}
        self.mode, self.drop_limit = mode, drop_limit
        if mode == "refuse":
            self._loop.call_soon_threadsafe(self._cut_all)

    def _cut_all(self) -> None:
        for writer in list(self._connections):
            writer.transport.abort()
        self._connections.clear()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.mode == "refuse":
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._connections.update({writer, up_writer})
        try:
            await asyncio.gather(
                self._pipe(reader, up_writer, upstream=True),
                self._pipe(up_reader, writer, upstream=False),
            )
        finally:
            for w in (writer, up_writer):
                self._connections.discard(w)
                w.transport.abort()

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, upstream: bool
    ) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError, ConnectionError):
            while True:
                data = await reader.read(CHUNK)
                if not data or self.mode == "refuse":
                    break
                if not upstream and self.mode == "hold_responses":
                    self.held += 1
                    while self.mode == "hold_responses":
                        await asyncio.sleep(0.01)
                if not upstream and self.mode == "drop_responses":
                    # the service has answered (it committed first): lose the answer
                    await asyncio.sleep(0.2)  # let the rest of the answer arrive and be lost
                    self.drops += 1
                    if self.on_drop is not None:
                        await asyncio.to_thread(self.on_drop)
                    if self.drop_limit is not None and self.drops >= self.drop_limit:
                        self.mode = "pass"
                    break
                writer.write(data)
                await writer.drain()
        writer.transport.abort()

    def close(self) -> None:
        """Stop listening, cut everything and let the handlers finish."""

        async def shut() -> None:
            self._cut_all()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._loop.stop()

        asyncio.run_coroutine_threadsafe(shut(), self._loop)
        self._thread.join(5)


@contextlib.contextmanager
def fault_proxy(target_port: int) -> Iterator[FaultProxy]:
    """Run a proxy for the duration of a block."""
    proxy = FaultProxy(target_port)
    try:
        yield proxy
    finally:
        proxy.close()
