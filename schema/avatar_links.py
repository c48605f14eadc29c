"""`avatarUrl(size:)` of `Customer` and `Worker`: the uploaded photo's thumbnail when there is
one (`core/avatars.py`, served at `GET /avatars/...` by `schema/downloads.py`), else the URL
stored on the row, as before uploads existed."""

from enum import Enum

import strawberry

from core import avatars
from schema.context import Info


@strawberry.enum(description="Which thumbnail of an uploaded photo `avatarUrl` links to.")
class AvatarSize(Enum):
    SMALL = strawberry.enum_value("small", description="64 x 64 px, for lists and chips.")
    LARGE = strawberry.enum_value("large", description="256 x 256 px, for a profile header.")


DESCRIPTION = (
    "The photo: with an uploaded one (`setCustomerAvatar`, `setWorkerAvatar`) a link to its "
    "square WebP thumbnail (`size`, SMALL by default) that works for the worker who asked "
    "for a day or two and may be cached (a new photo is a new link); otherwise the URL "
    "given as `avatarUrl`, or null."
)


def link_base(ctx) -> str:
    """The viewer's link base (`core.avatars.link_base`) under the request's origin."""
    base = str(ctx.request.base_url).rstrip("/") if ctx.request is not None else ""
    return avatars.link_base(ctx.settings.signing_key, ctx.principal, base)


def avatar_url(info: Info, avatar_key: str | None, stored: str | None, size: AvatarSize):
    if avatar_key is None:
        return stored
    return avatars.link(link_base(info.context), avatar_key, stored, size.value)
