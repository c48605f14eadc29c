"""Recording writes: checked input, who may, the audio's duration, idempotent ingest, events,
inside the caller's transaction.

A worker with `recordings.edit` adds recordings to customers they may change; an API key
with `recordings.ingest` (a telephony integration) may call the same mutation, naming the
worker who took the call. The audio goes through core's upload steps (`schema.files.store`):
sniffed (MP3, WAV, Ogg/Opus, M4A/AAC, WebM audio), stored, then the recording row is
written in the transaction that commits the file, so a failure leaves neither."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import access, records
from core import files as core_files
from core.auth import Principal
from core.errors import Forbidden, Problem
from core.models import StoredFile, utcnow
from plugins.recordings.models import Recording

VIEW, EDIT, INGEST = "recordings.view", "recordings.edit", "recordings.ingest"
PHONE = re.compile(r"\+?[1-9][0-9]{6,14}")
SEPARATORS = re.compile(r"[\s().\-/]")
MAX_SECONDS = 24 * 3600
SKEW = timedelta(minutes=5)
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def may_add(principal: Principal) -> str:
    """The permission a principal adds recordings under: `recordings.edit`, or for an
    integration `recordings.ingest`; FORBIDDEN with neither."""
    for permission in (EDIT, INGEST):
        if access.can(principal, permission):
            return permission
    raise Forbidden(f"You are not allowed to do this ({EDIT} or {INGEST}).")


def duration_of(path: Path) -> int | None:
    """Whole seconds of audio, read with mutagen from the stream headers; None when it cannot
    tell (WebM, a damaged file). Blocking: run it in a thread."""
    import mutagen

    try:
        found = mutagen.File(path)
        length = found.info.length if found is not None else None
    except Exception:
        return None
    if not length or length < 0 or length > MAX_SECONDS:
        return None
    return round(length)


def phone(value: str | None, problems: list[Problem]) -> str | None:
    """E.164-ish: digits with an optional leading +, 7 to 15 of them; spaces, dots, dashes,
    slashes and brackets are dropped."""
    if value is None or not value.strip():
        return None
    compact = SEPARATORS.sub("", value)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if not PHONE.fullmatch(compact):
        message = "A phone number in international form, e.g. +49 30 1234567."
        problems.append(Problem(("input", "otherPartyNumber"), message, "INVALID_PHONE"))
        return None
    return compact


def clean(data: dict, problems: list[Problem]) -> dict:
    """The recording's own fields, checked (nothing about the file)."""
    text = records.clean_text
    recorded_at = records.utc(data.get("recorded_at")) or utcnow()
    if recorded_at > utcnow() + SKEW:
        problems.append(Problem(("input", "recordedAt"), "Not in the future.", "INVALID"))
    duration = data.get("duration_seconds")
    if duration is not None and not 0 <= duration <= MAX_SECONDS:
        message = f"Between 0 and {MAX_SECONDS} seconds."
        problems.append(Problem(("input", "durationSeconds"), message, "INVALID"))
    return {
        "direction": data["direction"],
        "kind": data["kind"],
        "other_party": phone(data.get("other_party"), problems),
        "duration_seconds": duration,
        "recorded_at": recorded_at,
        "activity_id": text(data.get("activity_id"), ("input", "activityId"), 100, problems),
        "title": text(data.get("title"), ("input", "title"), 200, problems),
        "notes": text(data.get("notes"), ("input", "notes"), 10_000, problems),
    }


def facts_of(customer_id: int, received, data: dict) -> str:
    sha = getattr(received, "sha256", None)
    return records.fingerprint({"customer": customer_id, "sha256": sha, **data})


async def earlier(session: AsyncSession, principal: Principal, key: str | None, facts: str):
    """The recording an earlier request with this idempotency key made (a retry), or None;
    IDEMPOTENCY_KEY_REUSED when that request asked for something else."""
    if key is None:
        return None
    found = await session.scalar(
        select(Recording).where(
            Recording.tenant_id == principal.tenant_id, Recording.idempotency_key == key
        )
    )
    if found is not None and found.fingerprint != facts:
        raise records.key_reused("recording")
    return found


async def begin(
    session: AsyncSession,
    principal: Principal,
    customer_id: int,
    received,
    data: dict,
    max_bytes: int,
) -> StoredFile:
    """Who may, what was sent: then core's pending file row."""
    permission = may_add(principal)
    if data.get("worker_id") not in (None, principal.worker_id):
        access.require(principal, INGEST)  # naming who took the call: an integration's
    problems: list[Problem] = []
    clean(data, problems)
    await records.check_worker(
        session, principal.tenant_id, data.get("worker_id"), "workerId", problems
    )
    records.fail_if(problems)
    return await core_files.add_pending(
        session, principal, customer_id, received, "audio", max_bytes, permission
    )


async def add(
    session: AsyncSession,
    principal: Principal,
    file: StoredFile,
    data: dict,
    read_seconds: int | None,
    key: str | None,
    facts: str,
) -> Recording:
    """The recording on the committed file, in its transaction; `recording.added` carries
    an activity entry (docs/plugins.md) unless the call's activity is named already."""
    problems: list[Problem] = []
    values = clean(data, problems)
    records.fail_if(problems)
    if read_seconds is not None:
        values["duration_seconds"] = read_seconds
    now = utcnow()
    recording = Recording(
        tenant_id=principal.tenant_id,
        customer_id=file.customer_id,
        file_id=file.id,
        worker_id=data.get("worker_id") or principal.worker_id,
        size=file.size,
        content_type=file.content_type,
        idempotency_key=key,
        fingerprint=facts if key else None,
        created_at=now,
        updated_at=now,
        **values,
    )
    session.add(recording)
    await session.flush()
    extra = {}
    if recording.activity_id is None:
        kind = "call" if recording.kind == "CALL" else "meeting"
        extra["activity"] = {
            "kind": recording.kind,
            "subject": recording.title or f"Recorded {kind}",
        }
        if recording.notes:
            extra["activity"]["body"] = recording.notes
    await records.emit(
        session,
        principal,
        "recording.added",
        recording.customer_id,
        recordingId=recording.id,
        direction=recording.direction,
        kind=recording.kind,
        durationSeconds=recording.duration_seconds,
        **extra,
    )
    return recording


async def update_recording(
    session: AsyncSession, principal: Principal, recording_id: int, changes: dict
) -> Recording:
    """Title, notes and the related activity id; only the keys sent change."""
    access.require(principal, EDIT)
    recording = await records.for_update(session, principal, Recording, recording_id, "Recording")
    problems: list[Problem] = []
    limits = {"title": 200, "notes": 10_000, "activity_id": 100}
    field = {"title": "title", "notes": "notes", "activity_id": "activityId"}
    values = {
        k: records.clean_text(v, ("input", field[k]), limits[k], problems)
        for k, v in changes.items()
    }
    records.fail_if(problems)
    changed = sorted(k for k, v in values.items() if getattr(recording, k) != v)
    if not changed:
        return recording
    for key, value in values.items():
        setattr(recording, key, value)
    recording.updated_at = utcnow()
    await session.flush()
    await records.emit(
        session,
        principal,
        "recording.updated",
        recording.customer_id,
        recordingId=recording.id,
        changed=changed,
    )
    return recording


async def delete_recording(
    session: AsyncSession, principal: Principal, recording_id: int
) -> tuple[int, int, str | None]:
    """The row goes and its file is turned back to pending (long ago), so the caller removes
    the object after the commit, or the sweep does if the process dies first.
    (id, file id, storage key)."""
    access.require(principal, EDIT)
    recording = await records.for_update(session, principal, Recording, recording_id, "Recording")
    file = await session.scalar(
        select(StoredFile).where(
            StoredFile.tenant_id == principal.tenant_id, StoredFile.id == recording.file_id
        )
    )
    await session.delete(recording)
    if file is not None:
        await session.execute(
            update(StoredFile)
            .where(StoredFile.id == file.id)
            .values(state="pending", created_at=LONG_AGO)
        )
    await session.flush()
    await records.emit(
        session, principal, "recording.deleted", recording.customer_id, recordingId=recording_id
    )
    return recording_id, recording.file_id, file.key if file is not None else None
