"""Cursor pages: `async for item in pager` walks every page lazily; `await pager.page()` fetches one."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Generic, TypeVar

from talkya_console.api._constants import ITER_PAGE_SIZE
from talkya_console.wire import ListPage

T = TypeVar("T")

PageFetcher = Callable[[dict[str, Any]], Awaitable[ListPage[T]]]


class AsyncPager(Generic[T]):
    """A list query not yet sent. Nothing is fetched until it is iterated or `page()` is awaited."""

    def __init__(self, fetch: PageFetcher[T], params: dict[str, Any], limit: int | None = None) -> None:
        self._fetch = fetch
        self._params = params
        self._limit = limit

    async def page(self, cursor: str | None = None, *, limit: int | None = None) -> ListPage[T]:
        """One page: its `data`, `has_more` and the `next_cursor` to pass back for the next one."""
        query = dict(self._params)
        size = limit if limit is not None else self._limit
        if size is not None:
            query["limit"] = size
        if cursor:
            query["cursor"] = cursor
        return await self._fetch(query)

    async def pages(self) -> AsyncIterator[ListPage[T]]:
        """Every page in turn, following `next_cursor`."""
        size = self._limit or ITER_PAGE_SIZE
        cursor: str | None = None
        while True:
            current = await self.page(cursor, limit=size)
            yield current
            if not current.has_more or not current.next_cursor:
                return
            cursor = current.next_cursor

    async def __aiter__(self) -> AsyncIterator[T]:
        async for current in self.pages():
            for item in current.data:
                yield item

    async def collect(self, max_items: int | None = None) -> list[T]:
        """The items as a list, stopping after `max_items` when given."""
        items: list[T] = []
        async for item in self:
            items.append(item)
            if max_items is not None and len(items) >= max_items:
                break
        return items
