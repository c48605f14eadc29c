"""API keys for integrations: long-lived, scoped to a tenant and a permission set, revocable.
Only a SHA-256 of the secret is stored; the secret is shown once, when the key is made.
A key acts with its own permissions (never more than its creator held when making it) and
sees what its creator's assignments and folders show, or the whole tenant with
`customers.view_all`."""

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import column, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import access
from core.auth import Principal
from core.catalog import clean_text, get_row
from core.database import RequestConnection
from core.errors import InvalidInput, Problem, Unauthenticated
from core.events import Event, emit
from core.models import ApiKey, TenantModule, Worker, utcnow
from core.rls import KEY_FUNCTION

PREFIX = "chk_"
ROLE = "integration"
TOUCH_EVERY = timedelta(minutes=1)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def looks_like_key(token: str) -> bool:
    return token.startswith(PREFIX)


async def create_api_key(
    session: AsyncSession, principal: Principal, name: str, permissions: list[str], known: list[str]
) -> tuple[ApiKey, str]:
    """(the key, the secret to show once)."""
    access.require(principal, "api_keys.manage")
    problems: list[Problem] = []
    name = clean_text(name, ("input", "name"), 100, problems, required=True)
    wanted = list(dict.fromkeys(permissions))
    for index, permission in enumerate(wanted):
        if permission not in known:
            problems.append(
                Problem(
                    ("input", "permissions", str(index)),
                    f"No permission '{permission}'.",
                    "NOT_FOUND",
                )
            )
        elif not access.can(principal, permission):
            problems.append(
                Problem(
                    ("input", "permissions", str(index)),
                    f"You do not hold '{permission}' yourself.",
                    "FORBIDDEN",
                )
            )
    if problems:
        raise InvalidInput(problems)
    prefix = secrets.token_hex(6)
    secret = f"{PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        tenant_id=principal.tenant_id,
        name=name,
        prefix=prefix,
        key_hash=_hash(secret),
        permissions=wanted,
        created_by=principal.worker_id,
    )
    session.add(key)
    await session.flush()
    await emit(
        session,
        Event(
            "api_key.created",
            principal.tenant_id,
            None,
            {"keyId": key.id, "name": name},
            principal.worker_id,
        ),
    )
    return key, secret


async def revoke_api_key(session: AsyncSession, principal: Principal, key_id: int) -> ApiKey:
    access.require(principal, "api_keys.manage")
    key = await get_row(session, ApiKey, principal.tenant_id, key_id, "API key")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        await session.flush()
        await emit(
            session,
            Event(
                "api_key.revoked", principal.tenant_id, None, {"keyId": key.id}, principal.worker_id
            ),
        )
    return key


async def list_api_keys(conn, tenant_id: int) -> list[dict]:
    rows = await conn.execute(
        select(ApiKey.__table__).where(ApiKey.tenant_id == tenant_id).order_by(ApiKey.id)
    )
    return [dict(r) for r in rows.mappings()]


async def principal_for_key(read: RequestConnection, token: str) -> Principal:
    """The principal an API key acts as; `Unauthenticated` for an unknown or revoked key.
    `read` is the request's reader: the key is found before its tenant is known (on
    PostgreSQL through `rls.KEY_FUNCTION`, the one lookup across tenants the app role may
    make), then the reader takes the key's tenant. `last_used_at` is written at most once a
    minute, last, as its commit ends the reader's transaction."""
    try:
        prefix = token[len(PREFIX) :].split("_", 1)[0]
    except IndexError as exc:
        raise Unauthenticated("The API key is not valid.") from exc
    async with read() as conn:
        key = await _find_key(conn, prefix, _hash(token))
    if key is None:
        raise Unauthenticated("The API key is not valid.")
    if key["revoked_at"] is not None:
        raise Unauthenticated("The API key has been revoked.")
    await read.set_tenant(key["tenant_id"])
    async with read() as conn:
        creator = await conn.scalar(
            select(Worker.id).where(
                Worker.id == key["created_by"], Worker.tenant_id == key["tenant_id"]
            )
        )
        if creator is None:
            raise Unauthenticated("The API key's creator no longer exists.")
        modules = (
            await conn.scalars(
                select(TenantModule.module).where(TenantModule.tenant_id == key["tenant_id"])
            )
        ).all()
        now = utcnow()
        if key["last_used_at"] is None or now - key["last_used_at"] > TOUCH_EVERY:
            await conn.execute(
                update(ApiKey).where(ApiKey.id == key["id"]).values(last_used_at=now)
            )
            await conn.commit()
    return Principal(
        key["tenant_id"],
        key["created_by"],
        ROLE,
        frozenset(key["permissions"]),
        frozenset(modules),
        show_sub_customers=True,
    )


# What `rls.KEY_FUNCTION` returns.
_KEY_COLUMNS = ("id", "tenant_id", "permissions", "created_by", "last_used_at", "revoked_at")


async def _find_key(conn, prefix: str, key_hash: str) -> dict | None:
    """The key with this prefix and hash, whichever tenant's. On PostgreSQL the function
    compares the hash, so the app role never sees another key's hash."""
    if conn.dialect.name != "postgresql":
        row = await conn.execute(select(ApiKey.__table__).where(ApiKey.prefix == prefix))
        found = row.mappings().first()
        if found is None or not hmac.compare_digest(found["key_hash"], key_hash):
            return None
        return dict(found)
    table = ApiKey.__table__
    found_by = getattr(func, KEY_FUNCTION)(prefix, key_hash).table_valued(
        *(column(name, table.c[name].type) for name in _KEY_COLUMNS)
    )
    found = (await conn.execute(select(found_by))).mappings().first()
    return dict(found) if found is not None else None
