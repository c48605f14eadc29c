"""The websocket side of `/graphql`: graphql-transport-ws with the app's error codes, schema
choice, keep-alive and close codes (README, *Live updates*)."""

import asyncio
import logging
from contextlib import suppress
from datetime import UTC, datetime

from graphql import GraphQLError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)

from schema.errors import ErrorCodes
from schema.live import REVOKED_CLOSE, SLOW_CLIENT_CLOSE

log = logging.getLogger("customer_hub.live")

NO_PONG_REASON = "No pong to the server's ping: reconnect and subscribe again."

OPEN: set = set()  # this process's open sockets, for the metrics


def open_sockets() -> int:
    return len(OPEN)


class SocketHandler(BaseGraphQLTransportWSHandler):
    """graphql-transport-ws with the same error codes and masking as HTTP (the schema
    extensions do not see the errors of a subscription's stream), and the schema of the
    tenant's modules: a socket is opened before its token is known (`connection_init`), so
    its schema is chosen then, once, for the whole connection.

    Keep-alive is the protocol's `ping`, not uvicorn's websocket ping (whose timeout closes
    with 1011 behind the app's back): a `pong` shows the client has read everything sent
    before the ping, so one that stops reading is closed with 4413 like one whose updates
    pile up, and its subscriptions are released at once. graphql-ws clients answer pings by
    themselves."""

    expiry: asyncio.TimerHandle | None = None
    keeper: asyncio.Task | None = None
    closing: asyncio.Task | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.pong = asyncio.Event()
        self.context.socket = self  # what a subscription's `Watcher` closes

    async def handle(self) -> None:
        OPEN.add(self)
        try:
            await super().handle()
        finally:
            OPEN.discard(self)

    async def handle_connection_init(self, message) -> None:
        await super().handle_connection_init(message)
        principal = self.context.principal_or_none
        if principal is None:
            return
        # Messages are handled in turn: every `subscribe` of this socket comes after this.
        self.schema = self.context.registry.schema_for(principal.modules)
        if self.context.expires_at is not None and self.expiry is None:
            delay = (self.context.expires_at - datetime.now(UTC)).total_seconds()
            self.expiry = asyncio.get_running_loop().call_later(max(delay, 0), self._expired)
        if self.connection_acknowledged and self.keeper is None:
            self.keeper = asyncio.create_task(self._keep_alive())

    def _expired(self) -> None:
        """The access token has ended: so has the socket (an API key is checked instead
        whenever the tenant's access changes, `schema/live.py`)."""
        self.close(REVOKED_CLOSE, "The access token has expired.")

    async def _keep_alive(self) -> None:
        """A ping that cannot even be sent (the client has left the socket's buffers full)
        is as unanswered as one whose pong does not come."""
        settings = self.context.settings
        while settings.ws_ping_interval:
            await asyncio.sleep(settings.ws_ping_interval)
            self.pong.clear()
            try:
                async with asyncio.timeout(settings.ws_ping_timeout):
                    await self.send_message({"type": "ping"})
                    await self.pong.wait()
            except TimeoutError:
                log.info("closing a live socket (%s): %s", SLOW_CLIENT_CLOSE, NO_PONG_REASON)
                self.close(SLOW_CLIENT_CLOSE, NO_PONG_REASON)
                return
            except Exception:  # the socket is gone: its receive loop ends it
                return

    async def handle_pong(self, message) -> None:
        self.pong.set()

    async def handle_message(self, message) -> None:
        if self.closing is None:
            await super().handle_message(message)

    def close(self, code: int, reason: str) -> asyncio.Future:
        """Ends the socket's subscriptions at once (their watchers, queues and generators),
        then sends the close frame, which uvicorn writes only once the client has read what
        the socket holds, or never: a client that does not read costs no more than its
        connection meanwhile. The first code wins; callers may stop waiting."""
        if self.closing is None:
            self.closing = asyncio.create_task(self._close(code, reason))
        return asyncio.shield(self.closing)

    async def _close(self, code: int, reason: str) -> None:
        tasks = [op.task for op in self.operations.values() if op.task]
        for operation_id in list(self.operations):
            await self.cleanup_operation(operation_id)
        if self.keeper is not None:
            self.keeper.cancel()
        if tasks:
            await asyncio.wait(tasks)
        with suppress(Exception):  # closed already, or the client has left
            await self.websocket.close(code, reason)

    async def shutdown(self) -> None:
        if self.expiry is not None:
            self.expiry.cancel()
        for task in (self.keeper, self.closing):
            if task is not None:
                task.cancel()
        await super().shutdown()

    async def _send_result_stream(self, operation, result_source) -> None:
        context = self.context

        async def classified():
            async for result in result_source:
                if getattr(result, "errors", None):
                    result.errors = [ErrorCodes.classify(e, context) for e in result.errors]
                yield result

        try:
            await super()._send_result_stream(operation, classified())
        except GraphQLError as error:  # a refused document escapes Strawberry's stream
            await operation.send_initial_errors([ErrorCodes.classify(error, context)])
