"""The mechanics every resource shares, so the resource modules only declare paths, models and filters."""

from __future__ import annotations

import json
import mimetypes
import os
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager, ExitStack
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ClassVar, Generic, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel

from talkya_console.api._constants import DOWNLOAD_CHUNK_SIZE
from talkya_console.api._pagination import AsyncPager
from talkya_console.wire import Deleted, Params, Resource, format_timestamp

if TYPE_CHECKING:
    from talkya_console.api._client import TalkyaClient

R = TypeVar("R", bound=Resource)
M = TypeVar("M", bound=BaseModel)
C = TypeVar("C", bound=Params)
U = TypeVar("U", bound=Params)

Body = Params | Mapping[str, Any]
# A path names a file to open; a binary file object is read in chunks as it is sent.
Upload = str | os.PathLike[str] | IO[bytes]


def query_value(value: Any) -> Any:
    """A filter as the API spells it: RFC 3339 UTC for datetimes, ISO dates, lowercase booleans."""
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def encode_body(body: Body | None, schema: type[Params] | None) -> bytes | None:
    """JSON bytes for a request body; a mapping is validated against `schema` first, as the server would."""
    if body is None:
        return None
    if schema is not None and not isinstance(body, schema):
        body = schema.model_validate(body)
    if isinstance(body, BaseModel):
        # Only what the caller set: a PATCH must not null fields it never mentioned.
        return body.model_dump_json(exclude_unset=True).encode()
    return json.dumps(dict(body)).encode()


class APIResource:
    """A collection under `path` (relative to `/v1`)."""

    path: ClassVar[str]

    def __init__(self, client: TalkyaClient) -> None:
        self._client = client

    def _url(self, *parts: str) -> str:
        return "/".join([self.path, *(quote(part, safe="") for part in parts)])

    def _list(self, cast: type[M], filters: Mapping[str, Any], *parts: str, limit: int | None = None) -> AsyncPager[M]:
        query = {key: query_value(value) for key, value in filters.items() if value is not None}
        return AsyncPager(partial(self._client._request_page, self._url(*parts), cast), query, limit)

    async def _get(self, cast: type[M], *parts: str) -> M:
        return await self._client._request_model(cast, "GET", self._url(*parts))

    async def _post(
        self,
        cast: type[M],
        *parts: str,
        body: Body | None = None,
        schema: type[Params] | None = None,
        idempotency_key: str | None = None,
    ) -> M:
        content = encode_body(body, schema)
        return await self._client._request_model(
            cast, "POST", self._url(*parts), content=content, idempotency_key=idempotency_key
        )

    async def _patch(
        self,
        cast: type[M],
        *parts: str,
        body: Body,
        schema: type[Params] | None = None,
        idempotency_key: str | None = None,
    ) -> M:
        content = encode_body(body, schema)
        return await self._client._request_model(
            cast, "PATCH", self._url(*parts), content=content, idempotency_key=idempotency_key
        )

    async def _delete(self, *parts: str) -> Deleted:
        return await self._client._request_model(Deleted, "DELETE", self._url(*parts))

    async def _upload(
        self,
        cast: type[M],
        file: Upload,
        fields: Mapping[str, str | None],
        *,
        filename: str | None,
        content_type: str | None,
        idempotency_key: str | None,
    ) -> M:
        form = {key: value for key, value in fields.items() if value is not None}
        with ExitStack() as stack:
            if isinstance(file, str | os.PathLike):
                path = Path(file)
                handle: IO[bytes] = stack.enter_context(path.open("rb"))
                name = filename or path.name
            else:
                handle = file
                name = filename or Path(str(getattr(file, "name", "upload"))).name
            part = (name, handle, content_type or mimetypes.guess_type(name)[0] or "application/octet-stream")
            return await self._client._request_model(
                cast, "POST", self._url(), data=form, files={"file": part}, idempotency_key=idempotency_key
            )


class Downloadable(APIResource):
    """Records whose bytes stream from `/{id}/content`."""

    def download(self, id: str) -> AbstractAsyncContextManager[httpx.Response]:
        """`async with resource.download(id) as stream: async for chunk in stream.aiter_bytes(): ...`."""
        return self._client._open_stream(self._url(id, "content"))

    async def download_to(self, id: str, destination: str | os.PathLike[str]) -> int:
        """Stream the bytes to `destination` without holding them in memory; returns the bytes written."""
        written = 0
        async with self.download(id) as response:
            with Path(destination).open("wb") as out:
                async for chunk in response.aiter_bytes(DOWNLOAD_CHUNK_SIZE):
                    out.write(chunk)
                    written += len(chunk)
        return written


class Retrievable(APIResource, Generic[R]):
    """A collection whose records can be read by id."""

    model: type[R]

    async def get(self, id: str) -> R:
        """The record with this id."""
        return await self._get(self.model, id)


class Creatable(Retrievable[R], Generic[R, C]):
    """A collection that also takes new records by POST."""

    create_params: type[C]

    async def create(self, params: C | Mapping[str, Any], *, idempotency_key: str | None = None) -> R:
        """Create a record; a retry of this call never creates a second one."""
        return await self._post(self.model, body=params, schema=self.create_params, idempotency_key=idempotency_key)


class Updatable(Creatable[R, C], Generic[R, C, U]):
    """A collection whose records also change by PATCH."""

    update_params: type[U]

    async def update(self, id: str, params: U | Mapping[str, Any], *, idempotency_key: str | None = None) -> R:
        """Change the fields set in `params`; fields left out keep their values."""
        return await self._patch(
            self.model, id, body=params, schema=self.update_params, idempotency_key=idempotency_key
        )
