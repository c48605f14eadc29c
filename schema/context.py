"""What every resolver gets as `info.context`."""

import uuid
from dataclasses import dataclass, field

import strawberry
from starlette.requests import Request
from starlette.responses import Response

from core.auth import Principal
from core.config import Settings
from core.database import Database
from core.errors import Unauthenticated
from schema.loaders import Loaders


@dataclass
class Context:
    db: Database
    settings: Settings
    request: Request | None = None
    response: Response | None = None
    principal_or_none: Principal | None = None
    auth_error: Unauthenticated | None = None
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    _loaders: Loaders | None = None

    @property
    def principal(self) -> Principal:
        if self.principal_or_none is None:
            raise self.auth_error or Unauthenticated("Sign in first.")
        return self.principal_or_none

    @property
    def loaders(self) -> Loaders:
        if self._loaders is None:
            self._loaders = Loaders(self.db, self.principal)
        return self._loaders

    def forget_loaded(self) -> None:
        """After a write: later fields must not see rows cached before it."""
        self._loaders = None


Info = strawberry.Info[Context, None]
