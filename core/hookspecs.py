"""Domain hooks: what a module (a plugin) tells core and how it takes part in a customer's
life. One documented function per hook; every name starts with `hub_`.

Pluggy has no async support: hooks documented as *awaitable* return a coroutine (or None)
that the caller awaits; `firstresult` hooks and wrappers are never async. Hooks are called
with keyword arguments only. Hooks that concern a tenant run only for the modules the tenant
enabled (`Plugins.caller(enabled)`); the others run for every installed plugin.

A plugin that implements `hub_module` is a *module* a tenant switches on and off. A plugin
without it (core's own contributions, say) is always on."""

import pluggy

hookspec = pluggy.HookspecMarker("customer_hub")
hookimpl = pluggy.HookimplMarker("customer_hub")


@hookspec
def hub_module():
    """Sync, at start-up. The module's `core.plugins.Module` (name, title, description,
    depends). The name is the field the module adds to `Customer` and the key tenants enable
    it by: lower case, unique among installed plugins."""


@hookspec
def hub_tables():
    """Sync, at start-up. The SQLAlchemy `Table`s the module owns (on `core.models.Base`'s
    metadata). Each must have a `tenant_id` column; start-up refuses one that does not."""


@hookspec
def hub_migrations():
    """Sync, when migrating. Path of the module's Alembic versions folder: one branch per
    module (`branch_labels=("<module>",)`, `depends_on="0002"`), run on every database."""


@hookspec
def hub_permissions():
    """Sync, at start-up. `{permission: roles granted by default}` for the module's own
    permissions, e.g. `{"payments.view": ("owner", "admin", "manager", "agent")}`."""


@hookspec
def hub_event_types():
    """Sync, at start-up. Names of the events the module emits (`payment.received`). Emitting
    an undeclared name is an error."""


@hookspec
def hub_error_codes():
    """Sync, at start-up. `{"TICKET_CLOSED": "what it means"}`: the codes the module's
    errors and `userErrors` may carry beyond core's (`core/error_codes.py`). Served by the
    `errorCodes` query while the module is enabled; a test fails on a code raised in the
    code base that nobody lists."""


@hookspec
def hub_handle_event(session, event):
    """Awaitable, after the transaction that emitted `event` (a `core.events.Event` with its
    `id`) committed, for modules the event's tenant enabled, each in a transaction of its
    own through `session` (events it emits go out after that commit). At least once: after a
    crash the sweep may deliver an event again, so be idempotent. A handler that raises is
    logged with the event id; the write and the other handlers are unaffected."""


@hookspec
def hub_job_handlers():
    """Sync, at start-up, for every installed plugin. `{kind: async handler(ctx)}`: how to run
    the jobs of each kind the module enqueues (`core.jobs.enqueue`). Kinds are unique among
    installed plugins (`"<module>.<what>"`). The handler gets a `core.job_runner.JobContext`:
    `payload`, `checkpoint` (where a crashed run stopped), `progress(done, total)`,
    `raise_if_cancelled()`, and `async with ctx.chunk() as session` for each short tenant
    transaction of work, inside which `ctx.save(checkpoint)` commits with the work. It
    returns the job's JSON result; `core.jobs.JobError(code, message)` fails it with a code
    for the user (retried unless `retry=False`). A job may run again from its checkpoint after
    a crash: work outside chunks must be idempotent."""


@hookspec
def hub_customer_deleting(session, tenant_id, customer_id):
    """Awaitable, before core deletes a customer, for every installed module (a disabled
    module's rows go too). Module rows referencing the customer with `ON DELETE CASCADE`
    need nothing here."""


@hookspec
def hub_customers_merging(session, tenant_id, source_id, target_id):
    """Awaitable, while two customers are merged, for every installed module: move the
    module's rows from `source_id` to `target_id` (the source is deleted afterwards). Move
    them by setting `customer_id`: the merge's preview and undo (`core/merge_undo.py`) count
    and move back the rows of the module's tables with `id` and `customer_id` columns."""


@hookspec
def hub_customer_export(conn, tenant_id, customer_id, principal):
    """Awaitable, for a data export of one customer, for every installed module. Returns
    `{"<module>": JSON-able data}` or None. `principal`: who exports (a module whose rows
    are not all seen by every worker who sees the customer keeps to theirs)."""


@hookspec
def hub_sub_customer_created(session, tenant_id, parent_id, child_id, copy_fields):
    """Awaitable, after a sub-customer was created from a parent, for modules the tenant
    enabled. `copy_fields` is the tenant's copy setting; a module copies what it owns."""


@hookspec
def hub_module_enabled(session, tenant_id):
    """Awaitable, on the module being enabled for a tenant (only that module's hook runs)."""


@hookspec
def hub_module_disabled(session, tenant_id):
    """Awaitable, on the module being disabled for a tenant. Its data must stay."""


@hookspec
def hub_demo_data(session, tenant_id, customer_ids, seed, storage):
    """Awaitable, when the demo tenant is seeded, for every installed module: rows for some
    of `customer_ids`, deterministic for `seed`. `storage` (`core/storage.py`) is where a
    module writes demo files (the recordings' audio); None when the seeding has none."""


@hookspec
def hub_customer_summaries():
    """Sync, when a filter or sort names a field with a dot, for modules the tenant enabled.
    `{"<module>.<name>": core.filter_fields.Summary(type, expression, description,
    permission)}`: per-customer values the customer filter language can compare and sort on
    (`tickets.open > 0`, sort by `payments.lastPaymentAt`). `expression(tenant_id)` returns a
    scalar subquery correlated to `customers.id` (`.correlate(Customer)`), NUMBER or
    DATETIME, that an index of the module's table answers per customer."""
