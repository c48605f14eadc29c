"""Two demo recordings: tiny WAV files made with the standard library's `wave` (a second or
two of a tone, 8 kHz mono), written through the storage and recorded as core's files, so the
demo's Recordings tab plays. Nothing when the seeding has no storage at hand."""

import io
import math
import random
import struct
import wave
from datetime import timedelta

from sqlalchemy import insert, select

from core.demo import BASE
from core.files import seed_file
from core.models import Worker
from plugins.recordings.models import Recording

RATE = 8000
CALLS = (
    ("INBOUND", "CALL", "+4930123456", "Asked about the invoice", 1.5, 440),
    ("OUTBOUND", "MEETING", "+4940654321", "Kick-off meeting", 2.0, 330),
)


def tone(seconds: float, hertz: int) -> bytes:
    """A WAV of a soft sine tone."""
    frames = b"".join(
        struct.pack("<h", int(2000 * math.sin(2 * math.pi * hertz * i / RATE)))
        for i in range(int(seconds * RATE))
    )
    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(RATE)
        audio.writeframes(frames)
    return out.getvalue()


async def seed(session, tenant_id: int, customer_ids: list[int], seed: int, storage) -> None:
    if storage is None or not customer_ids:
        return
    rng = random.Random(seed * 1013 + 71)
    query = select(Worker.id).where(Worker.tenant_id == tenant_id).order_by(Worker.id)
    workers = list(await session.scalars(query))
    for (direction, kind, number, title, seconds, hertz), customer_id in zip(
        CALLS, rng.sample(customer_ids, k=min(len(CALLS), len(customer_ids))), strict=False
    ):
        data = tone(seconds, hertz)
        recorded = BASE - timedelta(days=rng.randint(1, 60), minutes=rng.randint(0, 600))
        made = (tenant_id, customer_id, f"{title}.wav", "audio/wav")
        file_id = await seed_file(session, storage, made, data, recorded)
        await session.execute(
            insert(Recording.__table__).values(
                tenant_id=tenant_id,
                customer_id=customer_id,
                file_id=file_id,
                worker_id=rng.choice(workers) if workers else None,
                direction=direction,
                kind=kind,
                other_party=number,
                duration_seconds=round(seconds),
                recorded_at=recorded,
                title=title,
                size=len(data),
                content_type="audio/wav",
                created_at=recorded,
                updated_at=recorded,
            )
        )
