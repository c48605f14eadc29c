"""Per-request DataLoaders: whatever a page shows, each kind of related row costs one
statement. Each batch opens its own short connection (one session per task)."""

from collections.abc import Awaitable, Callable, Sequence

from aiodataloader import DataLoader

from core import customer_queries as q
from core.auth import Principal
from core.database import RequestConnection
from core.models import Folder, Status, Tag, Worker
from core.plugins import Plugins
from schema.tabs import badge_counts

TENANT_LIST = 0  # key of the tenant's own status list in `statuses_of`


def _loader(fn: Callable[[Sequence], Awaitable[list]]) -> DataLoader:
    return DataLoader(batch_load_fn=fn, max_batch_size=500)


class Loaders:
    def __init__(
        self, read: RequestConnection, principal: Principal, plugins: Plugins | None = None
    ):
        self.read = read
        self.principal = principal
        self._custom: dict[str, DataLoader] = {}
        self.plans: dict = {}  # `schema.overview.plan`
        tenant_id = principal.tenant_id

        def by_id(model):
            async def load(ids):
                async with read() as conn:
                    rows = await q.rows_by_ids(conn, model, tenant_id, ids)
                return [rows.get(i) for i in ids]

            return _loader(load)

        def grouped(fetch, default):
            async def load(ids):
                async with read() as conn:
                    rows = await fetch(conn, tenant_id, ids)
                return [rows.get(i, default()) for i in ids]

            return _loader(load)

        def visible(fetch, default):
            async def load(ids):
                async with read() as conn:
                    rows = await fetch(conn, principal, ids)
                return [rows.get(i, default()) for i in ids]

            return _loader(load)

        self.customer = visible(q.customers_by_ids, lambda: None)
        self.sub_customer_count = visible(q.sub_customer_counts, int)
        self.folder_customer_count = visible(q.folder_customer_counts, int)
        self.tags_of = grouped(q.tags_of, list)
        self.workers_of = grouped(q.workers_of, list)
        self.memberships_of = grouped(q.memberships_of, list)
        self.contacts_of = grouped(q.contacts_of, list)
        self.addresses_of = grouped(q.addresses_of, list)
        self.contact = visible(q.contacts_by_ids, lambda: None)
        self.status = by_id(Status)
        self.folder = by_id(Folder)
        self.tag = by_id(Tag)
        self.worker = by_id(Worker)

        async def load_tenants(ids):
            async with read() as conn:
                rows = await q.tenants_by_ids(conn, ids)
            return [rows.get(i) for i in ids]

        self.tenant = _loader(load_tenants)

        async def load_statuses(folder_ids):
            keys = [None if f == TENANT_LIST else f for f in folder_ids]
            async with read() as conn:
                rows = await q.statuses(conn, tenant_id, keys)
            return [rows.get(k, []) for k in keys]

        self.statuses_of = _loader(load_statuses)

        async def load_definitions(keys):
            async with read() as conn:
                rows = await q.field_definitions(conn, tenant_id)
            return [rows for _ in keys]

        self.field_definitions = _loader(load_definitions)

        async def load_badges(customer_ids):
            async with read() as conn:
                counts = await badge_counts(plugins, conn, principal, list(customer_ids))
            return [counts[i] for i in customer_ids]

        self.badges = _loader(load_badges)

    def custom(self, key: str, batch: Callable[..., Awaitable[list]]) -> DataLoader:
        """A module's own loader, made once per request: `batch(conn, principal, keys)` returns
        one result per key, in order, in one statement."""
        if key not in self._custom:
            read, principal = self.read, self.principal

            async def load(keys):
                async with read() as conn:
                    return await batch(conn, principal, keys)

            self._custom[key] = _loader(load)
        return self._custom[key]
