"""`GET /exports/<token>`: the CSV an `exportCustomers` link names. A streamed export runs
here, page by page, as the worker is now (still there, still holding `customers.export`,
seeing what they see now); a job's link serves the stored file when the job is one the
worker may see.

Refusals are coded JSON, never a 500: a forged or malformed link 401 UNAUTHENTICATED (as is
one whose worker is gone), an expired one 403 DOWNLOAD_LINK_EXPIRED, a worker without the
permission 403 FORBIDDEN, a job they cannot see (another tenant's, someone else's) 404
NOT_FOUND, a file already removed or an export whose columns no longer exist 410
EXPORT_EXPIRED."""

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from core import csv_export as export
from core import csv_export_links as links
from core import jobs
from core.access import can
from core.config import Settings
from core.database import Database, RequestConnection
from core.errors import Forbidden, InvalidInput
from core.links import LinkExpired, principal_of
from core.plugins import Plugins
from core.storage import Storage, content_disposition
from schema.customers.where import decode_id
from schema.downloads import REDIRECT_SECONDS, SAFE_HEADERS
from schema.ids import to_global_id
from schema.view import error_response

CSV = "text/csv; charset=utf-8"


def _refusal(status: int, message: str, code: str) -> Response:
    return error_response(status, message, code, headers=SAFE_HEADERS)


def file_name() -> str:
    return f"customers-{datetime.now(UTC):%Y-%m-%d}.csv"


class ExportDownloads:
    def __init__(self, db: Database, settings: Settings, plugins: Plugins, storage: Storage):
        self.db, self.settings, self.plugins, self.storage = db, settings, plugins, storage
        self.grants = plugins.permission_grants()

    async def serve(self, request: Request) -> Response:
        try:
            claims = links.read_token(self.settings.signing_key, request.path_params["token"])
        except LinkExpired:
            message = "This export link has expired: export again, or ask the job's downloadUrl."
            return _refusal(403, message, "DOWNLOAD_LINK_EXPIRED")
        if claims is None:
            return _refusal(401, "This is not a valid export link.", "UNAUTHENTICATED")
        reader = RequestConnection(self.db)
        handed_on = False
        try:
            await reader.set_tenant(claims["tid"])
            async with reader() as conn:
                principal = await principal_of(conn, claims, self.grants)
                if principal is None:
                    return _refusal(401, "The link's worker no longer exists.", "UNAUTHENTICATED")
                if not can(principal, links.PERMISSION):
                    message = f"You are not allowed to do this ({links.PERMISSION})."
                    return _refusal(403, message, "FORBIDDEN")
                if "job" in claims:
                    found = await conn.execute(
                        jobs.visible(principal, jobs.JOBS.c.id == claims["job"])
                    )
                    row = found.mappings().first()
                    plan = None
                else:
                    row = None
                    plan = await self._plan(conn, principal, claims["spec"])
            if plan is not None:
                if isinstance(plan, Response):
                    return plan
                handed_on = True
                return self._streamed(reader, plan)
        finally:
            if not handed_on:
                await reader.close()
        return await self._stored(row)

    async def _plan(self, conn, principal, spec_json: dict):
        try:
            spec = export.Spec.from_json(spec_json)
            return await export.plan(
                conn, principal, self.plugins, spec, decode_id, to_global_id,
                self.settings.search_candidates,
            )  # fmt: skip
        except InvalidInput:
            message = "What this link exported no longer exists (a column or a filter value)."
            return _refusal(410, message + " Export again.", "EXPORT_EXPIRED")
        except Forbidden as exc:
            return _refusal(403, str(exc), "FORBIDDEN")
        except (TypeError, KeyError, ValueError):
            return _refusal(401, "This is not a valid export link.", "UNAUTHENTICATED")

    def _streamed(self, reader: RequestConnection, plan: export.Plan) -> Response:
        async def body():
            try:
                async for piece in export.stream(reader, plan, self.settings.export_page_size):
                    yield piece
            finally:
                await reader.close()

        headers = {**SAFE_HEADERS, "Content-Disposition": content_disposition(file_name())}
        return StreamingResponse(body(), media_type=CSV, headers=headers)

    async def _stored(self, row) -> Response:
        if row is None or row["kind"] != links.EXPORT_KIND or row["status"] != jobs.SUCCEEDED:
            return _refusal(404, "No such export.", "NOT_FOUND")
        result = row["result"] or {}
        key, name = result.get("key"), result.get("name") or file_name()
        if not key or result.get("expired") or not await self.storage.exists(key):
            message = "This export's file was removed: export again."
            return _refusal(410, message, "EXPORT_EXPIRED")
        if self.settings.s3_redirect_downloads:
            url = await self.storage.signed_url(key, name, CSV, REDIRECT_SECONDS)
            if url:
                return RedirectResponse(url, 302, headers=SAFE_HEADERS)
        headers = {**SAFE_HEADERS, "Content-Disposition": content_disposition(name)}
        return StreamingResponse(self.storage.open(key), media_type=CSV, headers=headers)
