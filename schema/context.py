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
from core.database import Database, RequestConnection
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
    _connection: RequestConnection | None = None
    release_turn: Any = None  # the request's turn (`schema/admission.py`), given back at close
    outcome: Any = None  # what the request did, for its log line (`schema/observe.py`)
    storage: Any = None  # where uploaded files go (`core/storage.py`)
    uploads: Any = None  # a multipart request's parts (`schema/uploads.py`), removed at the end

    @property
    def read(self) -> RequestConnection:
        """`async with ctx.read() as conn`: the request's one connection, for reading;
        `ctx.read.transaction(tenant_id)` writes on it."""
        if self._connection is None:
            self._connection = RequestConnection(self.db)
        return self._connection

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

    def forget_loaded(self) -> None:
        """After a write: later fields must see it, not rows read or cached before it."""
        self._loaders = None

    async def close(self) -> None:
        """The connection back to the pool: after the operation, before the response."""
        if self._connection is not None:
            await self._connection.close()
        if self.release_turn is not None:
            self.release_turn()


Info = strawberry.Info[Context, None]
