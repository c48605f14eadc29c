"""Your notifications: the feed and unread count (`myNotifications`), marking them read,
muting kinds, and the live unread count for the top bar (`notificationCount`)."""

from collections.abc import AsyncGenerator

import strawberry

from core import access
from plugins.notifications import queries as q
from plugins.notifications import service
from plugins.notifications.types import Notification, NotificationKind, NotificationPreference
from schema import kit
from schema.context import Info
from schema.ids import from_global_ids
from schema.live import Watcher
from schema.payloads import UserError, mutate
from schema.relay import Connection


def _principal(info: Info):
    principal = info.context.principal
    access.require(principal, "notifications.view")
    return principal


async def _read(info: Info, read):
    ctx = info.context
    try:
        async with ctx.read() as conn:
            return await read(conn, ctx.principal)
    finally:
        await ctx.read.close()


def _preferences(pairs) -> list[NotificationPreference]:
    return [NotificationPreference(kind=NotificationKind(k), enabled=e) for k, e in pairs]


@strawberry.type(description="Your own notifications: nobody else's are ever shown to you.")
class MyNotifications:
    @strawberry.field(description="Newest first; at most 100 a page (default 20).")
    async def all(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        unread_only: bool = False,
    ) -> Connection[Notification]:
        query = q.feed(info.context.principal, unread_only)
        return await kit.tenant_list(info, query, q.NEWEST, first, after, Notification.from_row)

    @strawberry.field(description="How many are unread: the top bar's count.")
    async def unread_count(self, info: Info) -> int:
        return await _read(info, service.unread)

    @strawberry.field(description="Each kind and whether you get it.")
    async def preferences(self, info: Info) -> list[NotificationPreference]:
        return _preferences(await _read(info, service.preferences))


async def my_notifications(info: Info) -> MyNotifications:
    _principal(info)
    return MyNotifications()


@strawberry.input(description="Which of your notifications to mark read: `ids`, or `all`.")
class MarkNotificationsReadInput:
    ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    all: bool = False


@strawberry.type
class MarkNotificationsReadPayload:
    unread_count: int | None
    user_errors: list[UserError]


@strawberry.input(description="Mute (false) or unmute a kind; muted kinds are not made.")
class SetNotificationPreferenceInput:
    kind: NotificationKind
    enabled: bool


@strawberry.type
class SetNotificationPreferencePayload:
    preferences: list[NotificationPreference] | None
    user_errors: list[UserError]


async def mark_notifications_read(
    info: Info, input: MarkNotificationsReadInput
) -> MarkNotificationsReadPayload:
    ids = from_global_ids(input.ids, "Notification")

    def work(session, principal):
        return service.mark_read(session, principal, ids, input.all)

    count, errors = await mutate(info, work)
    return MarkNotificationsReadPayload(unread_count=count, user_errors=errors)


async def set_notification_preference(
    info: Info, input: SetNotificationPreferenceInput
) -> SetNotificationPreferencePayload:
    def work(session, principal):
        return service.set_preference(session, principal, input.kind.value, input.enabled)

    pairs, errors = await mutate(info, work)
    found = _preferences(pairs) if pairs is not None else None
    return SetNotificationPreferencePayload(preferences=found, user_errors=errors)


async def notification_count(info: Info) -> AsyncGenerator[int, None]:
    """The unread count now, then again whenever it changed: after each burst of signals for
    this worker (`schema/live.py`, kind "worker"), read afresh, sent only when different."""
    ctx = info.context
    principal = _principal(info)
    watcher = Watcher(
        "worker",
        principal,
        ctx.credentials,
        ctx.socket,
        ctx.settings.subscription_queue,
        frozenset([principal.worker_id]),
    )
    updates = watcher.updates()
    try:
        await ctx.live.watch(watcher)  # before the first read: nothing falls in between
        last = None
        while True:
            count = await _read(info, service.unread)
            if count != last:
                yield count
                last = count
            try:
                await anext(updates)
            except StopAsyncIteration:
                return
    finally:
        ctx.live.unwatch(watcher)
        await updates.aclose()


QUERY_FIELDS = [
    strawberry.field(
        resolver=my_notifications,
        name="myNotifications",
        description="Your notification feed, its unread count and your muted kinds.",
    )
]
MUTATION_FIELDS = [
    strawberry.mutation(
        resolver=mark_notifications_read, description="Mark your notifications read."
    ),
    strawberry.mutation(
        resolver=set_notification_preference, description="Mute or unmute a kind for yourself."
    ),
]
SUBSCRIPTION_FIELDS = [
    strawberry.subscription(
        resolver=notification_count,
        description="Your unread notification count: now, then whenever it changes.",
    )
]
