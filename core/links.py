"""Signed links: short-lived HS256 tokens that name a tenant and a worker (and, for an API
key's link, the key's permissions: it has no worker row of its own to read them from again)
plus what the link is for. Each kind of link has its own key derived from the signing key
(`sha256("<purpose>:" + key)`) and its own issuer, so no link is ever another kind of link,
nor an access token. Nothing in a token is trusted beyond its minutes: the worker is read
again when the link is used (`principal_of`)."""

import hashlib
from datetime import UTC, datetime, timedelta

import jwt

from core import access, api_keys
from core.auth import Principal


class LinkExpired(Exception):
    pass


def key(signing_key: str, purpose: str) -> str:
    return hashlib.sha256(f"{purpose}:{signing_key}".encode()).hexdigest()


def sign(signing_key: str, purpose: str, principal: Principal, seconds: int, **claims) -> str:
    claims |= {
        "iss": f"customer-hub/{purpose}",
        "tid": principal.tenant_id,
        "wid": principal.worker_id,
        "exp": datetime.now(UTC) + timedelta(seconds=seconds),
    }
    if principal.role == api_keys.ROLE:
        claims["perm"] = sorted(principal.permissions)
    return jwt.encode(claims, key(signing_key, purpose), algorithm="HS256")


def _an_id(value) -> bool:
    return type(value) is int and 0 < value < 2**31


def read(signing_key: str, purpose: str, token: str, ids: tuple[str, ...] = ()) -> dict | None:
    """The claims of a valid token whose `tid`, `wid` and `ids` are ids; None for a forged
    or malformed one; `LinkExpired` for a late one."""
    names = ("tid", "wid", *ids)
    try:
        claims = jwt.decode(
            token,
            key(signing_key, purpose),
            algorithms=["HS256"],
            issuer=f"customer-hub/{purpose}",
            options={"require": ["exp", "iss", *names]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise LinkExpired from exc
    except jwt.InvalidTokenError:
        return None
    return claims if all(_an_id(claims[name]) for name in names) else None


def optional_id(claims: dict, name: str) -> bool:
    """Whether an optional id claim is absent or well formed."""
    return name not in claims or _an_id(claims[name])


async def principal_of(conn, claims: dict, grants: dict) -> Principal | None:
    """The link's worker as they are now; an API key's link keeps the key's own permissions
    with the visibility of the worker who made the key."""
    principal = await access.principal_for(conn, claims["tid"], claims["wid"], grants)
    if principal is None or "perm" not in claims:
        return principal
    return Principal(
        claims["tid"], claims["wid"], api_keys.ROLE, frozenset(claims["perm"]),
        principal.modules, show_sub_customers=True,
    )  # fmt: skip
