"""What every resolver gets as `info.context`."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import strawberry
from starlette.requests import Request
from starlette.responses import Response

from core.auth import Principal
from core.config import Settings
from core.database import Database, SharedReader
from core.errors import Unauthenticated
from core.plugins import Plugins
from schema.loaders import Loaders


@dataclass
class Context:
    db: Database
    settings: Settings
    plugins: Plugins | None = None
    registry: Any = None
    outbox: Any = None
    bus: Any = None
    live: Any = None
    credentials: str | None = None
    expires_at: datetime | None = None
    connection_params: dict | None = None
    request: Request | None = None
    response: Response | None = None
    socket: Any = None  # a websocket's handler (`schema/sockets.py`)
    principal_or_none: Principal | None = None
    auth_error: Unauthenticated | None = None
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    _loaders: Loaders | None = None
    _reader: SharedReader | None = None

    @property
    def read(self) -> SharedReader:
        """`async with ctx.read() as conn`: the request's read connection."""
        if self._reader is None:
            self._reader = SharedReader(self.db)
        return self._reader

    @property
    def principal(self) -> Principal:
        if self.principal_or_none is None:
            raise self.auth_error or Unauthenticated("Sign in first.")
        return self.principal_or_none

    @property
    def loaders(self) -> Loaders:
        if self._loaders is None:
            self._loaders = Loaders(self.read, self.principal, self.plugins)
        return self._loaders

    async def forget_loaded(self) -> None:
        """After a write: later fields must see it, not rows read or cached before it."""
        self._loaders = None
        await self.read.close()

    async def close(self) -> None:
        if self._reader is not None:
            await self._reader.close()


Info = strawberry.Info[Context, None]
