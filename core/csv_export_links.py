"""Links to customer exports: short-lived signed tokens (their own key, as file links have),
naming the tenant and the worker who asked, and either the export itself (`spec`: streamed
when the link is used) or the job whose stored CSV it fetches (`job`). Nothing in a token is
trusted beyond its minutes: the worker's access is read again when it is used.

An export job stores its CSV under a key derived from the job (`object_key`), so a job run
again after a crash overwrites its own object and the removal job (enqueued before any byte
is stored) always knows what to remove."""

import hmac

from core import links
from core.auth import Principal
from core.csv_export import Spec

LINKS = "exports"  # export links: their key and issuer (`core/links.py`)
EXPORT_KIND, CLEANUP_KIND = "customers.export", "customers.export_cleanup"
PERMISSION = "customers.export"
# A streamed export's token carries its filter: past this, the export runs as a job (its
# spec kept in the job's row) rather than make a URL some proxies refuse.
MAX_TOKEN = 6000


def stream_token(signing_key: str, principal: Principal, spec: Spec, seconds: int) -> str:
    return links.sign(signing_key, LINKS, principal, seconds, spec=spec.to_json())


def job_token(signing_key: str, principal: Principal, job_id: int, seconds: int) -> str:
    return links.sign(signing_key, LINKS, principal, seconds, job=job_id)


def read_token(signing_key: str, token: str) -> dict | None:
    """The claims of a valid token naming either a job or a spec; None for a forged or
    malformed one; `core.links.LinkExpired`."""
    claims = links.read(signing_key, LINKS, token)
    if claims is None:
        return None
    job, spec = claims.get("job"), claims.get("spec")
    if (job is None) == (spec is None) or not links.optional_id(claims, "job"):
        return None
    if spec is not None and not isinstance(spec, dict):
        return None
    return claims


def object_key(signing_key: str, tenant_id: int, job_id: int) -> str:
    """The storage key of a job's CSV (`core.storage.KEY`'s shape), not guessable."""
    digest = hmac.new(links.key(signing_key, LINKS).encode(), f"export:{job_id}".encode(), "sha256")
    return f"{int(tenant_id)}/{digest.hexdigest()[:32]}"
