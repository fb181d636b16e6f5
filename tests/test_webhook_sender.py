"""The dispatcher's HTTP/1.1 POST: keep-alive, a stale connection retried once, answers of
any framing drained, and failures named for the delivery log."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest

from talkya_console.sandbox.webhook_sender import SendError, WebhookSender

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def server(handler: Handler, closed: asyncio.Event | None = None) -> AsyncIterator[tuple[str, list[int]]]:
    """A raw TCP server on a loopback port; yields its URL and the count of connections."""
    connections: list[int] = []

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        try:
            await handler(reader, writer)
        finally:
            writer.close()
            if closed is not None:
                closed.set()

    srv = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    async with srv:
        yield f"http://127.0.0.1:{port}/hooks?x=1", connections


async def read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(
        next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
    )
    return head + await reader.readexactly(length)


def keep_alive(answers: int, response: bytes = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok") -> Handler:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for _ in range(answers):
            await read_request(reader)
            writer.write(response)
            await writer.drain()

    return handle


async def test_posts_reuse_one_kept_alive_connection():
    sender = WebhookSender()
    async with server(keep_alive(3)) as (url, connections):
        statuses = [await sender.post(url, {"X-Test": "1"}, b"{}") for _ in range(3)]
    await sender.aclose()
    assert statuses == [200, 200, 200]
    assert len(connections) == 1


async def test_the_request_carries_host_length_path_and_headers():
    seen: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await read_request(reader))
        writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
        await writer.drain()

    sender = WebhookSender()
    async with server(handle) as (url, _):
        assert await sender.post(url, {"Talkya-Webhook-Id": "wh_1"}, b'{"a":1}') == 204
    await sender.aclose()
    request = seen[0]
    assert request.startswith(b"POST /hooks?x=1 HTTP/1.1\r\n")
    assert b"talkya-webhook-id: wh_1" in request.lower()
    assert b"content-length: 7" in request.lower()
    assert request.endswith(b'{"a":1}')


async def test_a_connection_the_receiver_closed_is_retried_once_on_a_new_one():
    sender = WebhookSender()
    hung_up = asyncio.Event()
    async with server(keep_alive(1), hung_up) as (url, connections):  # answers once, then hangs up
        assert await sender.post(url, {}, b"{}") == 200
        await hung_up.wait()  # the pool now holds a connection the receiver has closed
        assert await sender.post(url, {}, b"{}") == 200
    await sender.aclose()
    assert len(connections) == 2


async def test_chunked_and_large_answers_are_drained_or_dropped():
    chunked = b"HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
    sender = WebhookSender()
    async with server(keep_alive(2, chunked)) as (url, connections):
        assert await sender.post(url, {}, b"{}") == 500
        assert await sender.post(url, {}, b"{}") == 500
    assert len(connections) == 1
    big = b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n" + b"x" * 1_000_000
    async with server(keep_alive(1, big)) as (url, _):
        assert await sender.post(url, {}, b"{}") == 200
    await sender.aclose()


async def test_a_refused_connection_is_named_for_the_log():
    async with server(keep_alive(0)) as (url, _):
        pass  # closed: nothing listens on the port now
    with pytest.raises(SendError, match="could not connect"):
        await WebhookSender().post(url, {}, b"{}")


async def test_garbage_instead_of_http_is_a_send_error():
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"SSH-2.0-nope\r\n\r\n")
        await writer.drain()

    async with server(handle) as (url, _):
        with pytest.raises(SendError, match="request failed"):
            await WebhookSender().post(url, {}, b"{}")


async def test_an_unsupported_url_is_refused():
    with pytest.raises(SendError):
        await WebhookSender().post("ftp://example.invalid/x", {}, b"{}")
