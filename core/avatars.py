"""Uploaded photos of customers and workers: the image is decoded here (under a pixel bound,
so a decompression bomb is refused before it is unpacked), turned upright by its EXIF
orientation, cropped square and re-encoded as two WebP thumbnails (64 and 256 px) that carry
none of the original's metadata (GPS, camera, comments). The original is never kept.

An avatar is named by a random `avatar_key` on the customer's or worker's row: its objects'
storage keys are derived from it (`object_key`), its links carry it, and a new photo is a
new key, so a link to an old photo never shows the new one and links can be cached. The
thumbnails are `files` rows of purpose `avatar` (customer-owned ones carry `customer_id`),
so an erased customer's avatar goes with core's removal job like their other files.

Replacing or removing follows the upload's rule (`core/files.py`): new objects are written
before the row points at them, and the old ones are turned back to `pending` in the same
transaction as the change and removed after it commits, so a crash anywhere leaves at most
pending rows that `sweep_files` removes with their objects."""

import hashlib
import io
import secrets
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import jwt
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import access, api_keys, links
from core.auth import Principal
from core.customers import get_customer
from core.errors import InvalidInput, NotFound
from core.events import Event, emit
from core.files import WEBP, check
from core.models import Customer, StoredFile, Worker
from core.storage import checked

SIZES = {"small": 64, "large": 256}
# Pillow refuses images over twice this at `open` (DecompressionBombError) and only warns
# between one and two times it; `thumbnails` refuses everything over it itself.
MAX_PIXELS = 40_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
FIELD = ("input", "file")
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)  # a pending row the next sweep takes at once


def object_key(tenant_id: int, avatar_key: str, size: str) -> str:
    """The storage key of one thumbnail: derived, so the row needs only `avatar_key`."""
    digest = hashlib.sha256(f"{avatar_key}:{size}".encode()).hexdigest()[:32]
    return checked(f"{int(tenant_id)}/{digest}")


def thumbnails(path: Path) -> dict[str, bytes]:
    """WebP bytes per size. Blocking (run it in a thread). Refuses, as userErrors, an image
    too large to decode safely (IMAGE_TOO_LARGE) or one Pillow cannot read
    (IMAGE_UNREADABLE)."""
    too_large = InvalidInput.one(
        FIELD, f"The image is over {MAX_PIXELS:,} pixels; send a smaller one.", "IMAGE_TOO_LARGE"
    )
    try:
        with Image.open(path) as image:
            if image.width * image.height > MAX_PIXELS:
                raise too_large
            image.seek(0)  # an animated GIF or WebP: its first frame
            image.load()
            upright = ImageOps.exif_transpose(image)
            mode = "RGBA" if "A" in upright.getbands() or "transparency" in upright.info else "RGB"
            upright = upright.convert(mode)
    except Image.DecompressionBombError as exc:
        raise too_large from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        message = "The image could not be read; send a PNG, JPEG, WebP or GIF."
        raise InvalidInput.one(FIELD, message, "IMAGE_UNREADABLE") from exc
    made = {}
    for name, side in SIZES.items():
        square = ImageOps.fit(upright, (side, side), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        square.save(out, "WEBP", quality=85, method=4)  # no exif/icc passed: none kept
        made[name] = out.getvalue()
    return made


def check_image(received: object, max_bytes: int):
    """The sniffed upload (PNG, JPEG, WebP or GIF, else TYPE_NOT_ALLOWED)."""
    return check(received, "avatar", max_bytes)


# --- whose avatar -------------------------------------------------------------------------------


async def _customer(session: AsyncSession, principal: Principal, customer_id: int) -> Customer:
    """The customer, locked: needs the right to change them (NOT_FOUND / FORBIDDEN)."""
    return await get_customer(session, principal, customer_id)


async def _worker(session: AsyncSession, principal: Principal, worker_id: int) -> Worker:
    """A worker changes their own photo; `workers.manage` (owners, admins) anyone's."""
    if worker_id != principal.worker_id:
        access.require(principal, "workers.manage")
    worker = await session.scalar(
        select(Worker)
        .where(Worker.tenant_id == principal.tenant_id, Worker.id == worker_id)
        .with_for_update()
    )
    if worker is None:
        raise NotFound("Worker")
    return worker


async def owner(session: AsyncSession, principal: Principal, kind: str, owner_id: int):
    if kind == "customer":
        return await _customer(session, principal, owner_id)
    return await _worker(session, principal, owner_id)


# --- the upload's steps -------------------------------------------------------------------------


async def add_pending(
    session: AsyncSession, principal: Principal, kind: str, owner_id: int, sizes: dict[str, int]
) -> str:
    """After the access check: a new avatar key and a pending row per thumbnail."""
    target = await owner(session, principal, kind, owner_id)
    avatar_key = secrets.token_hex(16)
    for size, length in sizes.items():
        session.add(
            StoredFile(
                tenant_id=principal.tenant_id,
                customer_id=target.id if kind == "customer" else None,
                key=object_key(principal.tenant_id, avatar_key, size),
                name=f"avatar-{SIZES[size]}.webp",
                size=length,
                content_type=WEBP,
                sha256="0" * 64,
                purpose="avatar",
                state="pending",
                uploaded_by=principal.worker_id,
            )
        )
    await session.flush()
    return avatar_key


async def _retire(session: AsyncSession, tenant_id: int, avatar_key: str | None) -> list[str]:
    """Mark an avatar's rows pending (and long ago): removed right after the commit, or by
    the next sweep if the process dies first. Their storage keys."""
    if avatar_key is None:
        return []
    keys = [object_key(tenant_id, avatar_key, size) for size in SIZES]
    await session.execute(
        update(StoredFile)
        .where(StoredFile.tenant_id == tenant_id, StoredFile.key.in_(keys))
        .values(state="pending", created_at=LONG_AGO)
    )
    return keys


async def switch(
    session: AsyncSession, principal: Principal, kind: str, owner_id: int, avatar_key: str | None
):
    """Point the owner at `avatar_key` (None: no uploaded photo) in the mutation's
    transaction: the new rows committed, the old ones retired. (owner row, old keys)."""
    target = await owner(session, principal, kind, owner_id)
    old = target.avatar_key
    if avatar_key is not None:
        keys = [object_key(principal.tenant_id, avatar_key, size) for size in SIZES]
        await session.execute(
            update(StoredFile)
            .where(StoredFile.tenant_id == principal.tenant_id, StoredFile.key.in_(keys))
            .values(state="committed")
        )
    if old == avatar_key:
        return target, []
    retired = await _retire(session, principal.tenant_id, old)
    target.avatar_key = avatar_key
    await session.flush()
    if kind == "customer":
        data = {"changed": ["avatar"]}
        await emit(
            session,
            Event("customer.updated", principal.tenant_id, target.id, data, principal.worker_id),
        )
    else:
        data = {"workerId": target.id, "changed": ["avatar"]}
        await emit(
            session, Event("worker.updated", principal.tenant_id, None, data, principal.worker_id)
        )
    return target, retired


# --- links -------------------------------------------------------------------------------------

LINKS = "avatars"


@lru_cache(maxsize=4096)
def _ticket(signing_key: str, tenant_id: int, worker_id: int, perms: tuple, day: datetime) -> str:
    claims = {
        "iss": f"customer-hub/{LINKS}",
        "tid": tenant_id,
        "wid": worker_id,
        "exp": day + timedelta(days=2),
    }
    if perms:
        claims["perm"] = list(perms)
    return jwt.encode(claims, links.key(signing_key, LINKS), algorithm="HS256")


def link_base(signing_key: str, principal: Principal, base_url: str) -> str:
    """`<base>/avatars/<ticket>/`: the viewer's ticket names them (like a download link,
    `core/links.py`) and lasts one to two days, the same all of a UTC day, so an avatar's
    link stays one URL a browser caches; the avatar key after it is the image's version."""
    day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    perms = tuple(sorted(principal.permissions)) if principal.role == api_keys.ROLE else ()
    ticket = _ticket(signing_key, principal.tenant_id, principal.worker_id, perms, day)
    return f"{base_url}/avatars/{ticket}/"


def link(base: str, avatar_key: str | None, stored_url: str | None, size: str = "small"):
    """The uploaded photo's thumbnail, else the URL stored on the row (`avatarUrl`)."""
    return stored_url if avatar_key is None else f"{base}{avatar_key}/{size}"


def read_ticket(signing_key: str, ticket: str) -> dict | None:
    """The claims of a valid ticket; None for a forged one; `links.LinkExpired`."""
    return links.read(signing_key, LINKS, ticket)


# --- reading ------------------------------------------------------------------------------------


async def find(conn, principal: Principal, avatar_key: str, size: str) -> str | None:
    """The storage key of a thumbnail the principal may see: a worker's photo is the whole
    team's to see; a customer's only theirs who see the customer. None otherwise."""
    if size not in SIZES or len(avatar_key) != 32:
        return None
    of_worker = select(Worker.id).where(
        Worker.tenant_id == principal.tenant_id, Worker.avatar_key == avatar_key
    )
    of_customer = select(Customer.id).where(
        Customer.tenant_id == principal.tenant_id,
        Customer.avatar_key == avatar_key,
        access.visible_customers(principal),
    )
    found = await conn.scalar(of_worker.union_all(of_customer).limit(1))
    return object_key(principal.tenant_id, avatar_key, size) if found else None
