"""Links to customer exports: short-lived signed tokens (their own key, as file links have),
naming the tenant and the worker who asked, and either the export itself (`spec`: streamed
when the link is used) or the job whose stored CSV it fetches (`job`). Nothing in a token is
trusted beyond its minutes: the worker's access is read again when it is used.

An export job stores its CSV under a key derived from the job (`object_key`), so a job run
again after a crash overwrites its own object and the removal job (enqueued before any byte
is stored) always knows what to remove."""

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import jwt

from core import access, api_keys
from core.auth import Principal
from core.csv_export import Spec

ISSUER = "customer-hub/exports"
EXPORT_KIND, CLEANUP_KIND = "customers.export", "customers.export_cleanup"
PERMISSION = "customers.export"
# A streamed export's token carries its filter: past this, the export runs as a job (its
# spec kept in the job's row) rather than make a URL some proxies refuse.
MAX_TOKEN = 6000


class LinkExpired(Exception):
    pass


def _token_key(signing_key: str) -> str:
    return hashlib.sha256(f"exports:{signing_key}".encode()).hexdigest()


def _token(signing_key: str, principal: Principal, seconds: int, **claims) -> str:
    claims |= {
        "iss": ISSUER,
        "tid": principal.tenant_id,
        "wid": principal.worker_id,
        "exp": datetime.now(UTC) + timedelta(seconds=seconds),
    }
    if principal.role == api_keys.ROLE:
        claims["perm"] = sorted(principal.permissions)
    return jwt.encode(claims, _token_key(signing_key), algorithm="HS256")


def stream_token(signing_key: str, principal: Principal, spec: Spec, seconds: int) -> str:
    return _token(signing_key, principal, seconds, spec=spec.to_json())


def job_token(signing_key: str, principal: Principal, job_id: int, seconds: int) -> str:
    return _token(signing_key, principal, seconds, job=job_id)


def read_token(signing_key: str, token: str) -> dict | None:
    """The claims of a valid token; None for a forged or malformed one; `LinkExpired`."""
    try:
        claims = jwt.decode(
            token,
            _token_key(signing_key),
            algorithms=["HS256"],
            issuer=ISSUER,
            options={"require": ["exp", "iss", "tid", "wid"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise LinkExpired from exc
    except jwt.InvalidTokenError:
        return None
    if not all(type(claims[k]) is int and 0 < claims[k] < 2**31 for k in ("tid", "wid")):
        return None
    job, spec = claims.get("job"), claims.get("spec")
    if (job is None) == (spec is None):
        return None
    if job is not None and not (type(job) is int and 0 < job < 2**31):
        return None
    if spec is not None and not isinstance(spec, dict):
        return None
    return claims


def object_key(signing_key: str, tenant_id: int, job_id: int) -> str:
    """The storage key of a job's CSV (`core.storage.KEY`'s shape), not guessable."""
    digest = hmac.new(_token_key(signing_key).encode(), f"export:{job_id}".encode(), "sha256")
    return f"{int(tenant_id)}/{digest.hexdigest()[:32]}"


async def principal_of(
    conn, tenant_id: int, worker_id: int, grants: dict, permissions: list | None = None
) -> Principal | None:
    """The worker as they are now; an API key's export keeps the key's own permissions
    with the visibility of the worker who made the key."""
    principal = await access.principal_for(conn, tenant_id, worker_id, grants)
    if principal is None or permissions is None:
        return principal
    return Principal(
        tenant_id, worker_id, api_keys.ROLE, frozenset(permissions), principal.modules,
        show_sub_customers=True,
    )  # fmt: skip
