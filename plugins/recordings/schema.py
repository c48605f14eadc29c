"""The `recordings` field on Customer and the recording mutations. `addRecording` is a
GraphQL multipart request like core's `uploadFile`, and goes through its steps
(`schema.files.store`)."""

import asyncio
from datetime import datetime

import strawberry
from strawberry import UNSET
from strawberry.file_uploads import Upload

from core import access
from core import files as core_files
from plugins.recordings import queries as q
from plugins.recordings import service
from plugins.recordings.types import Recording, RecordingDirection, RecordingKind
from schema import kit
from schema.compiled.customers import ModuleField, per_customer
from schema.context import Info
from schema.customers.types import Customer
from schema.files import store
from schema.ids import from_global_id
from schema.payloads import DeletePayload, as_row, deleted, mutate, payload
from schema.relay import Connection


@strawberry.type(description="A customer's call and meeting recordings: the Recordings tab.")
class CustomerRecordings:
    customer_id: strawberry.Private[int]

    @strawberry.field(description="Newest recorded first; at most 100 a page (default 20).")
    async def all(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        direction: RecordingDirection | None = None,
        kind: RecordingKind | None = None,
    ) -> Connection[Recording]:
        d = direction.value if direction else None
        k = kind.value if kind else None
        return await kit.customer_list(
            info, f"recordings.all.{d}.{k}", q.R, self.customer_id, q.NEWEST, first, after,
            Recording.from_row, q.conditions(d, k),
        )  # fmt: skip

    @strawberry.field(description="How many recordings the customer has: the tab's badge.")
    async def count(self, info: Info) -> int:
        return await kit.loader(info, "recordings.count", q.counts).load(self.customer_id)


async def customer_recordings(root: Customer, info: Info) -> CustomerRecordings:
    access.require(info.context.principal, service.VIEW)
    return CustomerRecordings(customer_id=root.pk)


COMPILED = {"count": ("count", "int", "0")}


def compiled_recordings(principal, names: tuple[str, ...]) -> ModuleField | None:
    """`recordings { count }` in the compiled path: the badge's count, per page."""
    if not access.can(principal, service.VIEW) or not set(names) <= COMPILED.keys():
        return None

    def query(principal, customer_ids):
        return per_customer({"count": q.badge(principal.tenant_id, customer_ids)})

    return ModuleField(query, COMPILED)


RecordingPayload = payload(Recording, "recording")


@strawberry.input(
    description="A recording of a customer's call or meeting. Needs `recordings.edit` and "
    "the right to change the customer; an API key needs `recordings.ingest`."
)
class AddRecordingInput:
    customer_id: strawberry.ID
    file: Upload = strawberry.field(
        description="The audio, the file part of a GraphQL multipart request: MP3, WAV, "
        "Ogg/Opus, M4A/AAC or WebM audio (sniffed from the bytes)."
    )
    direction: RecordingDirection
    kind: RecordingKind = RecordingKind.CALL
    other_party_number: str | None = strawberry.field(
        default=None, description="E.164-ish: +4930123456; spaces, dashes, brackets dropped."
    )
    duration_seconds: int | None = strawberry.field(
        default=None, description="Used when the audio's own length cannot be read (WebM)."
    )
    recorded_at: datetime | None = strawberry.field(default=None, description="Default: now.")
    worker_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Who took the call; default: you (an API key: its creator). Naming "
        "another worker needs `recordings.ingest`.",
    )
    activity_id: str | None = strawberry.field(
        default=None,
        description="The call's activity ID in the activities module, stored as given. "
        "Without one, an activity is logged for the recording when that module is on.",
    )
    title: str | None = None
    notes: str | None = None
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Sent again with the same request (an ingest retried), the first "
        "recording is answered and nothing is stored twice.",
    )


@strawberry.input(description="Only the members sent change. Needs `recordings.edit`.")
class UpdateRecordingInput:
    id: strawberry.ID
    title: str | None = UNSET
    notes: str | None = UNSET
    activity_id: str | None = UNSET


@strawberry.input(description="Deletes the recording and its audio. Needs `recordings.edit`.")
class DeleteRecordingInput:
    id: strawberry.ID


def _data(input: AddRecordingInput) -> dict:
    worker_id = from_global_id(input.worker_id, "Worker") if input.worker_id else None
    return {
        "direction": input.direction.value,
        "kind": input.kind.value,
        "other_party": input.other_party_number,
        "duration_seconds": input.duration_seconds,
        "recorded_at": input.recorded_at,
        "worker_id": worker_id,
        "activity_id": input.activity_id,
        "title": input.title,
        "notes": input.notes,
    }


async def add_recording(info: Info, input: AddRecordingInput) -> RecordingPayload:
    customer_id = from_global_id(input.customer_id, "Customer")
    data, key = _data(input), input.idempotency_key
    facts = service.facts_of(customer_id, input.file, data)

    def retried(session, principal):
        service.may_add(principal)
        return service.earlier(session, principal, key, facts)

    found, errors = await mutate(info, retried, "customerId")
    if errors or found is not None:
        node = Recording.from_row(as_row(found)) if found is not None else None
        return RecordingPayload(recording=node, user_errors=errors)
    max_bytes = info.context.settings.upload_max_file_bytes
    path = getattr(input.file, "path", None)
    seconds = await asyncio.to_thread(service.duration_of, path) if path else None

    def begin(session, principal):
        return service.begin(session, principal, customer_id, input.file, data, max_bytes)

    def finish(session, principal, file):
        return service.add(session, principal, file, data, seconds, key, facts)

    row, errors = await store(info, input.file, begin, "customerId", finish)
    node = Recording.from_row(as_row(row)) if row is not None else None
    return RecordingPayload(recording=node, user_errors=errors)


async def update_recording(info: Info, input: UpdateRecordingInput) -> RecordingPayload:
    names = ("title", "notes", "activity_id")
    changes = {k: getattr(input, k) for k in names if getattr(input, k) is not UNSET}
    recording_id = from_global_id(input.id, "Recording")

    def work(session, principal):
        return service.update_recording(session, principal, recording_id, changes)

    return await kit.save(info, RecordingPayload, "recording", Recording, work)


async def delete_recording(info: Info, input: DeleteRecordingInput) -> DeletePayload:
    recording_id = from_global_id(input.id, "Recording")
    gone = {}

    async def work(session, principal):
        done, file_id, key = await service.delete_recording(session, principal, recording_id)
        gone.update(file_id=file_id, key=key)
        return done

    result = await deleted(info, input.id, work)
    if gone.get("key"):
        ctx = info.context
        tenant_id = ctx.principal.tenant_id
        await core_files.discard(ctx.db, ctx.storage, tenant_id, gone["file_id"], gone["key"])
    return result


CUSTOMER_FIELDS = [
    strawberry.field(
        resolver=customer_recordings,
        name="recordings",
        description='Recordings module (tab "Recordings"): call and meeting recordings.',
    )
]
MUTATION_FIELDS = [
    strawberry.mutation(
        resolver=add_recording,
        description="Add a recording (a GraphQL multipart request with the audio mapped to "
        "`variables.input.file`). Its duration is read from the audio when it can be.",
    ),
    strawberry.mutation(resolver=update_recording, description="Change a recording's text."),
    strawberry.mutation(resolver=delete_recording, description="Delete a recording for good."),
]
