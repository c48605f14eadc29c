"""`GET /files/<token>`: a file's bytes for the link `StoredFile.downloadUrl` made. The token
(`core.files.download_token`) names the file and the viewer and lasts a few minutes; here it
is checked, and then the viewer's access as it is now (the worker still exists, still holds
`files.view`, still sees the customer), so a link handed on or kept is worth nothing
beyond its minutes and its viewer's rights. Every refusal is the same 404, except an expired
link (403 `DOWNLOAD_LINK_EXPIRED`), which a client can cure by asking again.

The answer is always an attachment, `nosniff`, sandboxed and uncached: an uploaded file is
never rendered as a page of this origin."""

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from core.config import Settings
from core.database import Database, RequestConnection
from core.files import read_download_token, visible_file
from core.links import LinkExpired, principal_of
from core.plugins import Plugins
from core.storage import Storage, content_disposition
from schema.view import error_response

SAFE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, no-store",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
}
REDIRECT_SECONDS = 60


class Downloads:
    def __init__(self, db: Database, settings: Settings, plugins: Plugins, storage: Storage):
        self.db, self.settings, self.storage = db, settings, storage
        self.grants = plugins.permission_grants()

    async def serve(self, request: Request) -> Response:
        not_found = error_response(404, "No such file.", "NOT_FOUND", headers=SAFE_HEADERS)
        try:
            claims = read_download_token(self.settings.signing_key, request.path_params["token"])
        except LinkExpired:
            message = "This download link has expired: ask for the file's `downloadUrl` again."
            return error_response(403, message, "DOWNLOAD_LINK_EXPIRED", headers=SAFE_HEADERS)
        if claims is None:
            return not_found
        reader = RequestConnection(self.db)
        try:
            await reader.set_tenant(claims["tid"])
            async with reader() as conn:
                principal = await principal_of(conn, claims, self.grants)
                row = await visible_file(conn, principal, claims["fid"]) if principal else None
        finally:
            await reader.close()
        if row is None:
            return not_found
        if self.settings.s3_redirect_downloads:
            url = await self.storage.signed_url(
                row["key"], row["name"], row["content_type"], REDIRECT_SECONDS
            )
            if url:
                return RedirectResponse(url, 302, headers=SAFE_HEADERS)
        headers = {
            **SAFE_HEADERS,
            "Content-Disposition": content_disposition(row["name"]),
            "Content-Length": str(row["size"]),
        }
        return StreamingResponse(
            self.storage.open(row["key"]), media_type=row["content_type"], headers=headers
        )
