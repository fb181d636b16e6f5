"""A lean HTTP/1.1 POST for webhook deliveries: h11 over asyncio streams, with keep-alive.

httpx spent about 2 ms of CPU a request here, which capped the dispatcher below 500
deliveries/s; a delivery needs only a POST, its status and a drained answer, so this does
just that (no redirects, no proxies, no cookies). h11 does the HTTP parsing."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections import defaultdict, deque
from urllib.parse import urlsplit

import h11

READ_SIZE = 65536
MAX_RESPONSE_BYTES = 64 * 1024  # past this the answer is not read on: only the status matters

Origin = tuple[str, str, int]


class SendError(Exception):
    """A delivery that got no HTTP answer; `str()` is fit for the delivery log."""


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.h11 = h11.Connection(h11.CLIENT)
        self.reused = False

    def close(self) -> None:
        self.writer.close()


class WebhookSender:
    def __init__(self, max_idle_per_origin: int = 32) -> None:
        self.max_idle = max_idle_per_origin
        self._idle: dict[Origin, deque[_Connection]] = defaultdict(deque)
        self._tls = ssl.create_default_context()

    async def post(self, url: str, headers: dict[str, str], body: bytes) -> int:
        """POST `body`; returns the status code. A kept-alive connection the receiver closed
        meanwhile is retried once on a fresh one (the receiver never saw that request)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SendError("request failed (unsupported URL)")
        origin = (parts.scheme, parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host = parts.netloc.rsplit("@", 1)[-1]
        request_headers = [("Host", host), ("Content-Length", str(len(body))), *headers.items()]
        for attempt in (0, 1):
            connection = self._take(origin) if attempt == 0 else None
            connection = connection or await self._open(origin)
            try:
                status = await self._exchange(connection, target, request_headers, body)
            except (ConnectionError, h11.RemoteProtocolError, asyncio.IncompleteReadError) as exc:
                connection.close()
                if (
                    connection.reused
                    and attempt == 0
                    and isinstance(exc, ConnectionError | asyncio.IncompleteReadError)
                ):
                    continue
                raise SendError(f"request failed ({type(exc).__name__})") from None
            except BaseException:  # cancelled or timed out mid-exchange: the connection is unusable
                connection.close()
                raise
            self._give_back(origin, connection)
            return status
        raise SendError("request failed")

    async def aclose(self) -> None:
        for pool in self._idle.values():
            while pool:
                pool.pop().close()

    def _take(self, origin: Origin) -> _Connection | None:
        pool = self._idle[origin]
        while pool:
            connection = pool.pop()
            if not connection.writer.is_closing() and not connection.reader.at_eof():
                connection.reused = True
                return connection
            connection.close()
        return None

    async def _open(self, origin: Origin) -> _Connection:
        scheme, hostname, port = origin
        try:
            reader, writer = await asyncio.open_connection(
                hostname, port, ssl=self._tls if scheme == "https" else None, limit=READ_SIZE
            )
        except (OSError, ssl.SSLError):
            raise SendError("could not connect") from None
        return _Connection(reader, writer)

    async def _exchange(self, connection: _Connection, target: str, headers: list[tuple[str, str]], body: bytes) -> int:
        conn = connection.h11
        data = conn.send(h11.Request(method="POST", target=target, headers=headers))
        data += conn.send(h11.Data(data=body)) + conn.send(h11.EndOfMessage())
        connection.writer.write(data)
        await connection.writer.drain()
        status: int | None = None
        received = 0
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                chunk = await connection.reader.read(READ_SIZE)
                if not chunk and status is None:
                    raise ConnectionResetError("closed before answering")
                conn.receive_data(chunk)
            elif isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.Data):
                received += len(event.data)
                if received > MAX_RESPONSE_BYTES:
                    connection.close()  # not worth reading on; the status is known
                    return status or 0
            elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                return status or 0

    def _give_back(self, origin: Origin, connection: _Connection) -> None:
        conn = connection.h11
        if connection.writer.is_closing() or conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
            connection.close()
            return
        with contextlib.suppress(h11.LocalProtocolError):
            conn.start_next_cycle()
            if len(self._idle[origin]) < self.max_idle:
                connection.reused = False
                self._idle[origin].append(connection)
                return
        connection.close()
