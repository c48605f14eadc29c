"""The URLs of customer exports (`GET /exports/<token>`), kept apart from the export's
GraphQL types so `Job.downloadUrl` can make one without importing them."""

from core import csv_export_links as links
from core import jobs
from schema.context import Info

ROUTE = "/exports/"


def base_url(info: Info) -> str:
    request = info.context.request
    return str(request.base_url).rstrip("/") if request is not None else ""


def export_url(info: Info, token: str) -> str:
    return f"{base_url(info)}{ROUTE}{token}"


def job_download_url(info: Info, kind: str, status: str, result, job_id: int) -> str | None:
    """A link to an export job's stored CSV for the viewer (who sees the job: its owner,
    or a holder of `jobs.view_all`); None for any other job, or before it succeeded, or
    once its file was removed."""
    result = result if isinstance(result, dict) else {}
    if kind != links.EXPORT_KIND or status != jobs.SUCCEEDED:
        return None
    if not result.get("key") or result.get("expired"):
        return None
    ctx = info.context
    settings = ctx.settings
    token = links.job_token(
        settings.signing_key, ctx.principal, job_id, settings.download_url_seconds
    )
    return export_url(info, token)
