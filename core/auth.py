"""Signed access tokens naming a tenant and a worker (JWT, HS256)."""

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import jwt

from core.errors import Unauthenticated
from core.lru import Lru

ALGORITHM = "HS256"
ISSUER = "customer-hub"
MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL
SUBJECT = re.compile(r"[1-9][0-9]{0,9}")  # a worker id as `issue_token` writes it


@dataclass(frozen=True)
class Principal:
    """Who is asking: every service call takes one, so every query can be tenant-scoped.
    `permissions` are the worker's (role defaults, modules' grants, the tenant's overrides);
    `modules` are the modules their tenant enabled; `view_folders` / `edit_folders` the
    folders whose customers they may open / change (see `core.access`); `links` how many
    assignments and memberships of those folders lead them to customers, counted up to
    `core.access.FEW_LINKS` (None: not counted), which decides how a page finds them."""

    tenant_id: int
    worker_id: int
    role: str
    permissions: frozenset[str] = field(default=frozenset())
    modules: frozenset[str] = field(default=frozenset(), compare=False)
    view_folders: frozenset[int] = field(default=frozenset(), compare=False)
    edit_folders: frozenset[int] = field(default=frozenset(), compare=False)
    show_sub_customers: bool = field(default=True, compare=False)
    links: int | None = field(default=None, compare=False)

    def everything(self) -> tuple:
        """Every field, for a cache of what a principal decides (equality compares four)."""
        return (
            self.tenant_id,
            self.worker_id,
            self.role,
            self.permissions,
            self.modules,
            self.view_folders,
            self.edit_folders,
            self.show_sub_customers,
            self.links,
        )


def issue_token(key: str, tenant_id: int, worker_id: int, ttl: timedelta) -> str:
    now = datetime.now(UTC)
    claims = {
        "iss": ISSUER,
        "sub": str(worker_id),
        "tid": tenant_id,
        "iat": now,
        "exp": now + ttl,
        "typ": "access",
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM)


TOKENS_KEPT = 1024  # tokens read and still valid, kept with what they say (`read_token`)
_read = Lru(TOKENS_KEPT)  # (key, token) -> (what it says, its `exp`)


def read_token(key: str, token: str) -> tuple[int, int, datetime]:
    """(tenant_id, worker_id, expiry) of a valid token; `Unauthenticated` for anything else.
    A live socket signed in with it closes at its expiry.

    The claims are checked for the types `issue_token` writes, not coerced: `int()` would
    take `"1 "` or `true` as tenant 1, and a number past the database's integers
    would fail in SQL instead of here.

    What a token says depends on the key and its text alone, and only its expiry on the
    time, so a token read once is kept, by both, until then (the signature check cost 35 µs
    of every request); nothing else revokes a token, and the worker is read on every
    request anyway (`core.access.principal_for`)."""
    found = _read.find((key, token))
    if found is not None:
        said, exp = found
        if exp > time.time():  # PyJWT: expired once `exp <= now`
            return said
        _read.pop((key, token))
    said, exp = _decoded(key, token)
    _read.put((key, token), (said, exp))
    return said


def _decoded(key: str, token: str) -> tuple[tuple[int, int, datetime], int]:
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "sub", "iss"]},
        )
        tenant_id, subject = claims.get("tid"), claims["sub"]
        if type(tenant_id) is not int or not 0 < tenant_id <= MAX_ID:
            raise ValueError("tid")
        if not isinstance(subject, str) or not SUBJECT.fullmatch(subject):
            raise ValueError("sub")
        worker_id = int(subject)
        if worker_id > MAX_ID:
            raise ValueError("sub")
        expiry = datetime.fromtimestamp(claims["exp"], UTC)
        return (tenant_id, worker_id, expiry), int(claims["exp"])
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("The access token has expired.") from exc
    except (jwt.InvalidTokenError, KeyError, TypeError, ValueError, OverflowError) as exc:
        raise Unauthenticated("The access token is not valid.") from exc
