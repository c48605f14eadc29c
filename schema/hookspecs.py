"""GraphQL hooks: what a module adds to the API. One documented function per hook; names
start with `hub_`; all are sync and called at start-up unless said otherwise (see
`core.hookspecs` for the rules). A module's fields exist only in the schemas of tenants that
enabled it; the committed SDL shows every installed module."""

from core.hookspecs import hookspec


@hookspec
def hub_customer_fields():
    """Fields to graft onto `Customer`: a list of `strawberry.field(...)`s whose resolver takes
    `root: Customer` (and `info`). By convention exactly one, named after the module, holding
    everything the module shows on the profile. A name clash with core or another module
    fails start-up."""


@hookspec
def hub_type_fields():
    """Fields to graft onto other core types: `{"Folder" | "Tag" | "Worker": [fields]}`."""


@hookspec
def hub_query_fields():
    """Root `Query` fields (a list of `strawberry.field`s)."""


@hookspec
def hub_mutation_fields():
    """Root `Mutation` fields (a list of `strawberry.mutation`s), each taking one `input` and
    returning a payload with `userErrors`."""


@hookspec
def hub_subscription_fields():
    """Root `Subscription` fields (a list of `strawberry.subscription`s)."""


@hookspec
def hub_types():
    """Types the schema must know that no field reaches (interface implementations)."""


@hookspec
def hub_profile_tabs():
    """The module's profile tabs: a list of `schema.tabs.TabSpec` (key, title, icon,
    position, permission). Shown when the module is enabled, the worker has the permission,
    and none of the customer's folders hides the tab."""


@hookspec
def hub_badge_count_queries(principal, customer_ids):
    """For the modules the tenant enabled, once per page of customers: `{tab key: select of
    (customer id, count)}` for `customer_ids` (a list, or a select of ids), not run. Core
    runs every module's in one statement, on a profile in the customer's own (see
    `core.multiread`). Customers missing from a result count 0. Prefer it to
    `hub_badge_counts`. The compiled path builds it once per principal and runs it many
    times: depend on the principal and `customer_ids` alone, and take the time as
    `core.models.now_param()` / `today_param()`, never as a Python value."""


@hookspec
def hub_badge_counts(conn, principal, customer_ids):
    """Awaitable, for the modules the tenant enabled, once per page of customers: badge
    counts `{tab key: {customer id: count}}` for all of `customer_ids` in one statement per
    tab. Customers missing from the result count 0. A statement of its own per module:
    `hub_badge_count_queries` shares one."""


@hookspec
def hub_compiled_customer_fields():
    """Sync, at plan time, for the modules the tenant enabled: `{field name on Customer:
    compile(principal, names)}` so the compiled execution path (`schema/compiled`) covers
    the module's field. `compile` gets the sub-fields selected (names; only `lists` take
    arguments) and returns a `schema.compiled.customers.ModuleField` (a select of (customer
    id, columns) for a page's ids, and each sub-field's column, kind and default), or None
    when it does not cover them (or the worker may not read them): the operation then runs
    field by field.
    A module without it still works, field by field. Its select is built once per
    principal and kept, as `hub_badge_count_queries`' are: the same rule on the time holds.
    List fields (a connection with `first`/`after`, every row, the first row or null) take
    part through `ModuleField.lists`: `{name: schema.compiled.module_lists.ModuleList}`
    (the rows' table, the resolver's conditions and order, the node's fields); `names`
    then holds them too, and the compiler reads their literal arguments itself."""


@hookspec
def hub_compiled_query_fields():
    """Sync, at plan time, for the modules the tenant enabled: `{root Query field name:
    compile(scope, field)}` so the compiled execution path answers the module's own root
    field (a flow's board) with one statement of its JSON, as it does `customers`.
    `compile` gets the plan's `schema.compiled.objects.Scope` (dialect, principal, document)
    and the field (`schema.compiled.selection.Field`), raises
    `schema.compiled.selection.NotCompiled` for a selection it does not cover (the
    operation then runs field by field), and returns an object with that `field` and
    `async answer(conn, ctx, arguments) -> bytes | None`: the field's JSON, given the
    field's arguments (coerced, by GraphQL name), or None to let the resolvers answer (and
    word the error: a flow the viewer may not see). A customer in the answer is
    `schema.compiled.customers.node` over the numbered rows (`schema.compiled.connection`).
    A module without it still works, field by field."""


@hookspec
def hub_node_resolvers():
    """`{GraphQL type name: async load(info, pk) -> object | None}` for the module's types
    that implement `Node`, so `node(id:)` / `nodes(ids:)` find them (only while the module is
    enabled, and only what the viewer may see: return None otherwise)."""


@hookspec
def hub_http_routes():
    """Sync, once at start-up, for every INSTALLED module (enabled or not: routes are not
    per tenant): a list of Starlette routes the app mounts beside `/graphql`, e.g. an
    inbound webhook of a provider (`/hooks/<module>/...`). A route authenticates its caller
    itself (a signature, a token) and must check that the tenant it serves enabled the
    module (`core.modules.enabled_modules`), answering 404 when not. Its writes go through
    `app.state.db.transaction(tenant_id)` + `core.events.bind`, and their events through
    `app.state.outbox.after_commit(records)` once committed."""
