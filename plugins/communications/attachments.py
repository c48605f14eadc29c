"""Attachments: core's stored files (`core/files.py`) carried by messages.

- Outbound: `sendMessage(fileIds)` names files the sender may read and that are the
  customer's: a document of the customer (`uploadFile` with its id; `files.view`), an
  attachment the customer sent before (forwarding), or the sender's own upload without a
  customer, which then becomes the customer's (it has been sent to them). Anything else is
  NOT_FOUND, as an unknown id: a file of another customer would show to whoever sees this one.
  The files are locked after the customer (the one lock order), so a file deleted meanwhile
  cannot leave a dangling link.
- Inbound: the hook's JSON carries them base64-encoded; each is decoded to a temporary file,
  its type sniffed from the bytes and judged as a document's (core's `check`), and stored
  as a file of purpose `attachment` in core's three steps (pending rows, objects, committed
  with the message), so a failure or a duplicate leaves nothing behind.
- Reading: one statement per page of messages (`attachments_of`), download links signed
  under the message's own rule (`communications.view` and the customer's visibility; an
  unmatched message's under `communications.triage`)."""

import base64
import binascii
import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import insert, select, update

from core import access
from core import files as core_files
from core.errors import InvalidInput, Problem
from core.models import StoredFile
from core.storage import new_key
from plugins.communications.models import Attachment

MAX_FILES = 10
MAX_TOTAL_BYTES = 20 * 1024 * 1024  # what mail servers commonly take for a whole message
A = Attachment.__table__
F = StoredFile.__table__


class Refused(Exception):
    """An inbound attachment the hook will not take: `code` and a message naming it."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


# --- outbound ------------------------------------------------------------------------------


async def claim_outbound(session, principal, customer_id: int, file_ids: list[int]) -> list[int]:
    """The distinct files, in the order given, checked and locked; the sender's own
    customer-less uploads become the customer's."""
    wanted = list(dict.fromkeys(file_ids))
    field = ("input", "fileIds")
    if len(wanted) > MAX_FILES:
        raise InvalidInput.one(field, f"At most {MAX_FILES} attachments.", "TOO_MANY")
    if not wanted:
        return []
    purposes = ["attachment"]
    if access.can(principal, "files.view"):
        purposes.append("document")
    customers = F.c.customer_id == customer_id
    own = (
        F.c.customer_id.is_(None)
        & (F.c.uploaded_by == principal.worker_id)
        & (F.c.purpose == "document")
    )
    rows = await session.execute(
        select(F.c.id, F.c.customer_id, F.c.size)
        .where(
            F.c.tenant_id == principal.tenant_id,
            F.c.id.in_(wanted),
            F.c.state == "committed",
            F.c.purpose.in_(purposes),
            customers | own,
        )
        .order_by(F.c.id)
        .with_for_update()
    )
    found = {r.id: r for r in rows}
    problems = [
        Problem(
            (*field, str(i)), "File not found (the customer's, or your own upload).", "NOT_FOUND"
        )
        for i, file_id in enumerate(file_ids)
        if file_id not in found
    ]
    if problems:
        raise InvalidInput(problems)
    if sum(r.size for r in found.values()) > MAX_TOTAL_BYTES:
        message = f"The attachments are over {MAX_TOTAL_BYTES:,} bytes together."
        raise InvalidInput.one(field, message, "FILE_TOO_LARGE")
    adopted = [r.id for r in found.values() if r.customer_id is None]
    if adopted:
        await session.execute(update(F).where(F.c.id.in_(adopted)).values(customer_id=customer_id))
    return wanted


async def link(session, tenant_id: int, message_id: int, file_ids: list[int]) -> None:
    if file_ids:
        rows = [
            {"tenant_id": tenant_id, "message_id": message_id, "file_id": f, "position": i}
            for i, f in enumerate(file_ids)
        ]
        await session.execute(insert(A), rows)


async def for_sending(session, message_id: int) -> list[dict]:
    """(name, content_type, key) of a message's files, in order, for the provider."""
    rows = await session.execute(
        select(F.c.name, F.c.content_type, F.c.key)
        .join(A, A.c.file_id == F.c.id)
        .where(A.c.message_id == message_id)
        .order_by(A.c.position)
    )
    return [dict(r) for r in rows.mappings()]


# --- inbound -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Incoming:
    path: Path
    checked: core_files.Checked


def decode(items: object, folder: Path, max_bytes: int) -> list[Incoming]:
    """The hook's `attachments` ([{name, content (base64)}]) decoded into `folder` and
    judged; `Refused` names the first one that is not acceptable. The sender's
    `contentType` is not trusted: the type is sniffed from the bytes."""
    if items is None:
        return []
    if not isinstance(items, list):
        raise Refused("`attachments` must be a list.", "BAD_REQUEST")
    if len(items) > MAX_FILES:
        raise Refused(f"At most {MAX_FILES} attachments.", "TOO_MANY_ATTACHMENTS")
    found, total = [], 0
    for i, item in enumerate(items):
        where = f"attachments[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("content"), str):
            raise Refused(f"{where}: an object with `content` (base64).", "BAD_REQUEST")
        name = item.get("name")
        if name is not None and not isinstance(name, str):
            raise Refused(f"{where}.name must be a string.", "BAD_REQUEST")
        try:
            data = base64.b64decode(item["content"], validate=True)
        except (binascii.Error, ValueError):
            raise Refused(f"{where}.content is not valid base64.", "BAD_ATTACHMENT") from None
        total += len(data)
        if len(data) > max_bytes or total > MAX_TOTAL_BYTES:
            limit = max_bytes if len(data) > max_bytes else MAX_TOTAL_BYTES
            raise Refused(f"{where}: over {limit:,} bytes.", "ATTACHMENT_TOO_LARGE")
        path = folder / f"{i}"
        path.write_bytes(data)
        received = core_files.Received(
            name, None, path, len(data), hashlib.sha256(data).hexdigest()
        )
        try:
            checked = core_files.check(received, "attachment", max_bytes)
        except InvalidInput as refused:
            problem = refused.problems[0]
            code = (
                "ATTACHMENT_TYPE_NOT_ALLOWED"
                if problem.code == "TYPE_NOT_ALLOWED"
                else problem.code
            )
            raise Refused(f"{where}: {problem.message}", code) from None
        found.append(Incoming(path, checked))
    return found


async def add_pending(session, tenant_id: int, incoming: list[Incoming]) -> list[tuple[int, str]]:
    """(file id, key) of a pending row per attachment, for no customer and no uploader."""
    made = []
    for item in incoming:
        key = new_key(tenant_id)
        c = item.checked
        row = StoredFile(
            tenant_id=tenant_id, customer_id=None, key=key, name=c.name, size=c.size,
            content_type=c.content_type, sha256=c.sha256, purpose="attachment",
            state="pending", uploaded_by=None,
        )  # fmt: skip
        session.add(row)
        await session.flush()
        made.append((row.id, key))
    return made


async def commit_received(session, tenant_id: int, message, file_ids: list[int]) -> None:
    """In the message's transaction: the pending files become the message's (and its
    customer's, when it has one)."""
    if not file_ids:
        return
    await session.execute(
        update(F)
        .where(F.c.tenant_id == tenant_id, F.c.id.in_(file_ids), F.c.state == "pending")
        .values(state="committed", customer_id=message.customer_id)
    )
    await link(session, tenant_id, message.id, file_ids)


async def follow(session, tenant_id: int, message_id: int, customer_id: int) -> None:
    """An unmatched message assigned to a customer: its files become that customer's."""
    files = select(A.c.file_id).where(A.c.tenant_id == tenant_id, A.c.message_id == message_id)
    await session.execute(
        update(F)
        .where(F.c.tenant_id == tenant_id, F.c.id.in_(files))
        .values(customer_id=customer_id)
    )


# --- reading -------------------------------------------------------------------------------


def query(tenant_id: int, message_ids):
    return (
        select(A.c.message_id, F.c.id, F.c.name, F.c.content_type, F.c.size)
        .join(F, F.c.id == A.c.file_id)
        .where(A.c.tenant_id == tenant_id, A.c.message_id.in_(message_ids))
        .where(F.c.state == "committed")
        .order_by(A.c.message_id, A.c.position)
    )


async def grouped(conn, tenant_id: int, message_ids) -> list[list[dict]]:
    """Each message's files, in order, in one statement."""
    found: dict[int, list[dict]] = {i: [] for i in message_ids}
    if message_ids:
        for row in (await conn.execute(query(tenant_id, message_ids))).mappings():
            found[row["message_id"]].append(dict(row))
    return [found[i] for i in message_ids]


async def attachments_of(conn, principal, message_ids) -> list[list[dict]]:
    """The loader's batch: a page of messages' files in one statement."""
    return await grouped(conn, principal.tenant_id, message_ids)
