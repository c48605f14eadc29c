"""The Recording type. Its worker and customer load through per-request loaders; its
`playbackUrl` is a short-lived signed link (core's `/files/<token>`) that plays inline and
answers `Range` requests, checked again when used."""

from datetime import datetime
from enum import Enum

import strawberry
from strawberry import Private

from core import access
from core import files as core_files
from plugins.recordings import queries as q
from plugins.recordings.service import VIEW
from schema import kit
from schema.context import Info
from schema.customers.types import Customer
from schema.relay import Node
from schema.team.types import Worker


@strawberry.enum(description="Who called whom.")
class RecordingDirection(Enum):
    INBOUND = "INBOUND"
    OUTBOUND = "OUTBOUND"


@strawberry.enum(description="What was recorded.")
class RecordingKind(Enum):
    CALL = "CALL"
    MEETING = "MEETING"


@strawberry.type(description="A call or meeting recording of a customer.")
class Recording(Node):
    direction: RecordingDirection
    kind: RecordingKind
    other_party_number: str | None = strawberry.field(
        description="The other party's number, digits with a leading + when given so."
    )
    duration_seconds: int | None = strawberry.field(
        description="Read from the audio when its format tells (MP3, WAV, Ogg, M4A), else "
        "as the client gave it; null when neither."
    )
    recorded_at: datetime
    activity_id: str | None = strawberry.field(
        description="The related call activity's ID in the activities module, as given "
        "(opaque; not checked, that module may be off)."
    )
    title: str | None
    notes: str | None
    size: int = strawberry.field(description="Bytes of audio.")
    content_type: str = strawberry.field(description="Sniffed from the bytes.")
    created_at: datetime
    updated_at: datetime
    customer_id: Private[int]
    worker_id: Private[int | None]
    file_id: Private[int]

    @classmethod
    def from_row(cls, row) -> "Recording":
        return kit.from_row(cls, row, other_party_number=row["other_party"])

    @strawberry.field(description="Who took the call; null once that worker is removed.")
    async def worker(self, info: Info) -> Worker | None:
        return await kit.worker(info, self.worker_id)

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        return await kit.customer(info, self.customer_id)

    @strawberry.field(
        description="A link that plays the audio in the page (`Content-Disposition: inline`, "
        "`Range` requests answered 206, so a player can seek) for the worker who asked, "
        "valid for DOWNLOAD_URL_SECONDS; their access (`recordings.view`, sight of the "
        "customer) is checked again when it is used. Ask again for a fresh one."
    )
    def playback_url(self, info: Info) -> str:
        ctx = info.context
        token = core_files.download_token(
            ctx.settings.signing_key,
            ctx.principal,
            self.file_id,
            ctx.settings.download_url_seconds,
            need=VIEW,
            inline=True,
        )
        base = str(ctx.request.base_url).rstrip("/") if ctx.request is not None else ""
        return f"{base}/files/{token}"


_load = kit.node_loader(q.R, Recording)


async def load_recording(info: Info, pk: int) -> Recording | None:
    """`node(id:)`: null without `recordings.view`, as for a hidden customer's."""
    if not access.can(info.context.principal, VIEW):
        return None
    return await _load(info, pk)
