"""Row-level security on PostgreSQL: the database itself keeps tenants apart, a second line
behind the access rule (`core/access.py`), which already filters every query by tenant.
SQLite has no row-level security; nothing here runs there.

The design, in one URL and one pool:

- The app logs in with `DATABASE_URL` as the role migrations run as (the owner). Every
  transaction of a request first switches to `APP_ROLE` and names its tenant, both local to
  that transaction (`core/database.py`, `scope`):
      SELECT set_config('role', 'customer_hub_app', true),
             set_config('app.tenant_id', '<id>', true)
  COMMIT and ROLLBACK undo both, so a pooled connection never carries a tenant, nor the role,
  into its next transaction. Writes: `Database.transaction(tenant_id=…)`; reads: the
  request's `RequestConnection`, whose tenant comes from the token (or the API key) before its
  first query, and which re-applies the scope to every transaction it begins. A signed-in
  request's first transaction takes the scope from its principal read, which sets both
  settings in the same statement (`core.access.principal_for(scope=True)`): that one
  statement reads as the login, naming its tenant and worker itself.
- `APP_ROLE` (`customer_hub_app`, fixed, no setting: roles are per cluster, grants per
  database, so several databases on one cluster share it safely): NOLOGIN, NOSUPERUSER,
  NOBYPASSRLS, owns nothing; SELECT/INSERT/UPDATE/DELETE on the tenant tables only (not on
  `alembic_version`) and USAGE on the schema's sequences. No default privileges on purpose:
  a table made outside `migrate.upgrade` stays unreadable to the app (permission denied)
  until the next migrate gives it a policy, so it fails closed, never open.
- Policy `tenant_isolation` (USING and WITH CHECK, all commands) on every base table with a
  `tenant_id` column, found in `information_schema.columns`, so a module's new tables are
  covered by the migrate that creates them; `tenants` gets the same on `id`. ENABLE and FORCE:
      tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
  Without a tenant nothing is visible and nothing can be written: unset, the setting reads
  NULL; set earlier on the connection and since reverted it reads '' (hence the NULLIF).
- What bypasses RLS, and why: superusers and BYPASSRLS roles always do, FORCE or not; table
  owners do not (FORCE). So the login must be one of those (checked here, where it is run):
  migrations, the CLI (create-tenant, seed-demo, issue-token, demo-token), the tests' set-up
  (`new_tenant`) and the bench legitimately span tenants, and run as the login through
  `Database.transaction()` / `Database.read()` without a tenant.
- API keys are found by prefix before their tenant is known: `customer_hub_api_key(prefix,
  hash)`, SECURITY DEFINER and owned by the migrating role, returns the one key whose prefix
  and hash both match. It is the only way across tenants the app role has.

Why `SET ROLE` and not a second login: one `DATABASE_URL` keeps `make run`, the CLI, the
tests and the bench as they are, and the set-up work above keeps its one `Database`. The
price: SQL running on the login could `RESET ROLE`, so this catches a query that forgets its
tenant (a bug), not injected SQL (which bound parameters already keep out).

`apply` runs after every `migrate.upgrade` and changes only what is missing (the key
function is made anew each time)."""

import asyncio

from sqlalchemy import Select, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

APP_ROLE = "customer_hub_app"
TENANT_SETTING = "app.tenant_id"
POLICY = "tenant_isolation"
KEY_FUNCTION = "customer_hub_api_key"
SEARCH_FUNCTION = "customer_hub_search"
CURRENT_TENANT = f"NULLIF(current_setting('{TENANT_SETTING}', true), '')::int"
APPLY_LOCK = 0x726C735F6170706C  # pg_advisory_xact_lock key: "rls_appl" in ASCII

# The transaction's role and tenant; '' for no tenant. Both revert at COMMIT / ROLLBACK.
SCOPE = text(
    "SELECT set_config('role', :role, true), set_config('" + TENANT_SETTING + "', :tenant, true)"
)

PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE")


def scope_query(role, tenant) -> Select:
    """`SCOPE` as a select, to ride along in another statement (`core.access.principal_for`)."""
    return select(
        func.set_config("role", role, True).label("role"),
        func.set_config(TENANT_SETTING, tenant, True).label("tenant"),
    )


def scope_params(tenant_id: int | None) -> dict[str, str]:
    return {"role": APP_ROLE, "tenant": "" if tenant_id is None else str(int(tenant_id))}


def apply(database_url: str) -> None:
    """Synchronous, like `migrate.upgrade` (it starts its own loop); SQLite: nothing."""
    if not database_url.startswith("postgresql"):
        return

    async def run():
        engine = create_async_engine(database_url)
        try:
            async with engine.begin() as conn:
                await apply_on(conn)
        finally:
            await engine.dispose()

    asyncio.run(run())


async def apply_on(conn: AsyncConnection) -> None:
    """Role, grants, policies and the key function, in the caller's transaction."""
    quote = conn.dialect.identifier_preparer.quote
    await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPLY_LOCK})
    user, bypasses = (
        await conn.execute(
            text(
                "SELECT current_user, rolsuper OR rolbypassrls FROM pg_roles "
                "WHERE rolname = current_user"
            )
        )
    ).one()
    if not bypasses:
        raise RuntimeError(
            f"Row-level security: the role {user!r} migrating (and used by the CLI) must be a "
            "superuser or have BYPASSRLS, since the tables FORCE row level security and "
            f"set-up work spans tenants. A superuser can run: ALTER ROLE {quote(user)} BYPASSRLS"
        )
    await _ensure_app_role(conn, user, quote)

    schema = await conn.scalar(text("SELECT current_schema()"))
    if not await conn.scalar(
        text("SELECT has_schema_privilege(:role, :schema, 'USAGE')"),
        {"role": APP_ROLE, "schema": schema},
    ):
        await conn.execute(text(f"GRANT USAGE ON SCHEMA {quote(schema)} TO {APP_ROLE}"))

    for table, column, enabled, forced, has_policy, granted in await _tenant_tables(conn):
        name = quote(table)
        if not enabled:
            await conn.execute(text(f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY"))
        if not forced:
            await conn.execute(text(f"ALTER TABLE {name} FORCE ROW LEVEL SECURITY"))
        if not has_policy:
            rule = f"{quote(column)} = {CURRENT_TENANT}"
            await conn.execute(
                text(
                    f"CREATE POLICY {POLICY} ON {name} AS PERMISSIVE FOR ALL TO PUBLIC "
                    f"USING ({rule}) WITH CHECK ({rule})"
                )
            )
        if not granted:
            await conn.execute(text(f"GRANT {', '.join(PRIVILEGES)} ON {name} TO {APP_ROLE}"))

    sequences = await conn.scalars(
        text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() "
            "AND CASE WHEN c.relkind = 'S' THEN NOT has_sequence_privilege(:role, c.oid, 'USAGE') "
            "ELSE false END"
        ),
        {"role": APP_ROLE},
    )
    for sequence in sequences.all():
        await conn.execute(text(f"GRANT USAGE ON SEQUENCE {quote(sequence)} TO {APP_ROLE}"))

    await _api_key_function(conn, schema, quote)

    await _search_function(conn, schema, quote)


async def _ensure_app_role(conn: AsyncConnection, user: str, quote) -> None:
    # Roles are per cluster: two databases migrating at once may race to create it.
    await conn.execute(
        text(
            "DO $$ BEGIN "
            f"IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN "
            f"CREATE ROLE {APP_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT NOCREATEDB "
            "NOCREATEROLE; END IF; "
            "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
        )
    )
    superuser, bypass, member = (
        await conn.execute(
            text(
                "SELECT rolsuper, rolbypassrls, pg_has_role(current_user, oid, 'MEMBER') "
                "FROM pg_roles WHERE rolname = :role"
            ),
            {"role": APP_ROLE},
        )
    ).one()
    if superuser or bypass:
        raise RuntimeError(
            f"Row-level security: the role {APP_ROLE} must not be a superuser nor have "
            f"BYPASSRLS. A superuser can run: ALTER ROLE {APP_ROLE} NOSUPERUSER NOBYPASSRLS"
        )
    if not member:  # a non-superuser login needs membership to SET ROLE to it
        await conn.execute(text(f"GRANT {APP_ROLE} TO {quote(user)}"))


async def _tenant_tables(conn: AsyncConnection) -> list[tuple]:
    """(table, column, RLS enabled, forced, has our policy, app role holds the privileges)
    for every base table of the schema with `tenant_id`, and `tenants` (on `id`)."""
    held = " AND ".join(f"has_table_privilege(:role, c.oid, '{p}')" for p in PRIVILEGES)
    rows = await conn.execute(
        text(
            "SELECT col.table_name, col.column_name, c.relrowsecurity, c.relforcerowsecurity, "
            "EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = :policy), "
            f"{held} "
            "FROM information_schema.columns col "
            "JOIN information_schema.tables t USING (table_catalog, table_schema, table_name) "
            "JOIN pg_namespace n ON n.nspname = col.table_schema "
            "JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = col.table_name "
            "WHERE col.table_schema = current_schema() AND t.table_type = 'BASE TABLE' "
            "AND (col.column_name = 'tenant_id' "
            "OR (col.table_name = 'tenants' AND col.column_name = 'id')) "
            "ORDER BY col.table_name"
        ),
        {"role": APP_ROLE, "policy": POLICY},
    )
    return [tuple(row) for row in rows]


async def _api_key_function(conn: AsyncConnection, schema: str, quote) -> None:
    """Its result columns follow `api_keys` (hence made anew on every run)."""
    await _definer_function(
        conn,
        schema,
        quote,
        "api_keys",
        f"{KEY_FUNCTION}(key_prefix text, key_hash text)",
        "TABLE (id integer, tenant_id integer, permissions jsonb, created_by integer, "
        "last_used_at timestamptz, revoked_at timestamptz)",
        "SELECT k.id, k.tenant_id, k.permissions, k.created_by, k.last_used_at, k.revoked_at "
        "FROM api_keys k WHERE k.prefix = $1 AND k.key_hash = $2",
    )


async def _search_function(conn: AsyncConnection, schema: str, quote) -> None:
    """At most `max_rows` of the tenant's customers whose search text is `LIKE` the pattern
    (`core/customer_search.py` asks for its cap plus one). `LIKE` is not leakproof, so under
    row-level security the planner may not apply it before the policy and would filter a
    large tenant row by row instead of using the trigram index (106 ms instead of 3 ms on
    180k customers): the function runs as the owner with the tenant filter written out.
    PL/pgSQL's `EXECUTE` plans with the actual pattern and limit: a plain SQL function is
    planned for any pattern, and took the trigram index for every term, building a bitmap of
    all 146k matches of "mar" (31 ms) where a scan stopping at the limit takes 3 ms, and of
    the whole index for a two-letter term (1.5 s)."""
    await conn.execute(text(f"DROP FUNCTION IF EXISTS {quote(schema)}.{SEARCH_FUNCTION}(text)"))
    query = (
        f"SELECT c.id FROM customers c WHERE c.tenant_id = {CURRENT_TENANT} "
        "AND c.search_text LIKE $1 ESCAPE '/' LIMIT $2"
    )
    await _definer_function(
        conn,
        schema,
        quote,
        "customers",
        f"{SEARCH_FUNCTION}(pattern text, max_rows integer)",
        "SETOF integer",
        f"BEGIN RETURN QUERY EXECUTE {_literal(query)} USING pattern, max_rows; END",
        language="plpgsql",
    )


def _literal(sql: str) -> str:
    return "'" + sql.replace("'", "''") + "'"


async def _definer_function(
    conn: AsyncConnection,
    schema: str,
    quote,
    table: str,
    signature: str,
    returns: str,
    body: str,
    language: str = "sql",
) -> None:
    """A SECURITY DEFINER function owned by the migrating role that only the app role
    may call, dropped and made again on every run; none until `table` exists."""
    exists = await conn.scalar(
        text(
            "SELECT to_regclass(format('%I.%I', current_schema(), CAST(:table AS text))) "
            "IS NOT NULL"
        ),
        {"table": table},
    )
    if not exists:
        return
    function = f"{quote(schema)}.{signature}"
    await conn.execute(text(f"DROP FUNCTION IF EXISTS {function}"))
    await conn.execute(
        text(
            f"CREATE FUNCTION {function} RETURNS {returns} LANGUAGE {language} STABLE "
            "SECURITY DEFINER "
            f"SET search_path = {quote(schema)}, pg_temp AS $$ {body} $$"
        )
    )
    await conn.execute(text(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC"))
    await conn.execute(text(f"GRANT EXECUTE ON FUNCTION {function} TO {APP_ROLE}"))
