"""`GET /files/<token>`: a file's bytes for the link `StoredFile.downloadUrl` (or a module's
link to a file of its own, such as a recording's `playbackUrl`) made. The token
(`core.files.download_token`) names the file and the viewer and lasts a few minutes; here it
is checked, and then the viewer's access as it is now (the worker still exists, still holds
`files.view` or the permission the link names, still sees the customer), so a link handed
on or kept is worth nothing beyond its minutes and its viewer's rights. Every refusal is the
same 404, except an expired link (403 `DOWNLOAD_LINK_EXPIRED`), which a client can cure by
asking again.

A single `Range` (`bytes=a-b`, `a-`, `-n`) is answered 206 with `Content-Range`, one past
the end 416; an audio player seeks with them. From S3 the range is asked of the store (or
the redirect to it serves ranges itself).

The answer is `nosniff`, sandboxed and uncached, an attachment unless the link asked for
`inline` (a recording to play): an uploaded file is never rendered as a page of this origin.

`GET /avatars/<ticket>/<avatar key>/<size>`: a photo's thumbnail (`core/avatars.py`). The
ticket names the viewer for a day or two and the avatar key is the photo's version, so the
answer may be cached (privately, a day); the viewer's sight of the customer is checked on
every fetch, so a worker who cannot see a customer never gets its photo."""

import re

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from core import avatars
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
# Inline media (a recording played, a photo shown) may sit in a page of the front end's own
# origin: the link itself is the credential, so another origin may embed it.
INLINE_HEADERS = {**SAFE_HEADERS, "Cross-Origin-Resource-Policy": "cross-origin"}
AVATAR_HEADERS = {
    **INLINE_HEADERS,
    "Cache-Control": "private, max-age=86400, immutable",
    "Content-Disposition": 'inline; filename="avatar.webp"',
}
REDIRECT_SECONDS = 60
RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def byte_range(header: str | None, size: int) -> tuple[int, int] | bool | None:
    """(first, last) of a single satisfiable range; None to send the whole file (no header,
    several ranges, or one we do not read); False when it cannot be satisfied (416)."""
    if not header:
        return None
    found = RANGE.fullmatch(header.strip())
    if found is None or (not found[1] and not found[2]):
        return None
    if not found[1]:  # the last n bytes
        n = int(found[2])
        return (max(size - n, 0), size - 1) if n and size else False
    first = int(found[1])
    last = int(found[2]) if found[2] else size - 1
    if found[2] and last < first:
        return None  # malformed: ignored, the whole file
    if first >= size:
        return False
    return first, min(last, size - 1)


def send(storage: Storage, request: Request, row: dict, inline: bool) -> Response:
    """The object, whole (200) or the one range asked (206), or 416."""
    size = row["size"]
    base = INLINE_HEADERS if inline else SAFE_HEADERS
    headers = {
        **base,
        "Accept-Ranges": "bytes",
        "Content-Disposition": content_disposition(row["name"], inline),
    }
    wanted = byte_range(request.headers.get("range"), size)
    if wanted is False:
        headers["Content-Range"] = f"bytes */{size}"
        return error_response(
            416, "The range asked is not in the file.", "RANGE_NOT_SATISFIABLE", headers=headers
        )
    if wanted is None:
        headers["Content-Length"] = str(size)
        return StreamingResponse(
            storage.open(row["key"]), media_type=row["content_type"], headers=headers
        )
    first, last = wanted
    headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    headers["Content-Length"] = str(last - first + 1)
    body = storage.open(row["key"], first, last)
    return StreamingResponse(body, 206, media_type=row["content_type"], headers=headers)


class Downloads:
    def __init__(self, db: Database, settings: Settings, plugins: Plugins, storage: Storage):
        self.db, self.settings, self.storage = db, settings, storage
        self.grants = plugins.permission_grants()

    async def _checked(self, token: str, read_token, again: str, find):
        """What `find(conn, principal, claims)` finds for the link's viewer as they are now,
        or the refusal: the same 404 for everything, 403 for an expired link."""
        try:
            claims = read_token(self.settings.signing_key, token)
        except LinkExpired:
            message = f"This link has expired: ask for {again} again."
            return None, error_response(403, message, "DOWNLOAD_LINK_EXPIRED", headers=SAFE_HEADERS)
        found = None
        if claims is not None:
            reader = RequestConnection(self.db)
            try:
                await reader.set_tenant(claims["tid"])
                async with reader() as conn:
                    principal = await principal_of(conn, claims, self.grants)
                    if principal is not None:
                        found = await find(conn, principal, claims)
            finally:
                await reader.close()
        if found is None:
            return None, error_response(404, "Not found.", "NOT_FOUND", headers=SAFE_HEADERS)
        return (found, claims), None

    async def serve(self, request: Request) -> Response:
        def find(conn, principal, claims):
            return visible_file(conn, principal, claims["fid"], claims.get("need"))

        token = request.path_params["token"]
        found, refusal = await self._checked(
            token, read_download_token, "`downloadUrl` (or `playbackUrl`)", find
        )
        if refusal is not None:
            return refusal
        row, claims = found
        inline = claims.get("inline") is True
        if self.settings.s3_redirect_downloads:
            url = await self.storage.signed_url(
                row["key"], row["name"], row["content_type"], REDIRECT_SECONDS, inline
            )
            if url:
                return RedirectResponse(url, 302, headers=SAFE_HEADERS)
        return send(self.storage, request, row, inline)

    async def avatar(self, request: Request) -> Response:
        params = request.path_params

        def find(conn, principal, claims):
            return avatars.find(conn, principal, params["key"], params["size"])

        found, refusal = await self._checked(
            params["ticket"], avatars.read_ticket, "`avatarUrl`", find
        )
        if refusal is not None:
            return refusal
        key, _ = found
        try:
            data = await self.storage.get(key)
        except FileNotFoundError:
            return error_response(404, "Not found.", "NOT_FOUND", headers=SAFE_HEADERS)
        return Response(data, media_type=avatars.WEBP, headers=AVATAR_HEADERS)
