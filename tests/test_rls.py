"""Row-level security on PostgreSQL (`core/rls.py`): the database keeps tenants apart even
where the app forgot to. SQLite has no row-level security, so these run on PostgreSQL only."""

import pytest
from sqlalchemy import delete, insert, text, true, update
from sqlalchemy.exc import DBAPIError

from core import api_keys, customer_queries, rls
from core.database import Database, RequestConnection
from core.models import Customer, Tag
from tests.fixtures import new_tenant, run
from tests.support import Api, count_statements

# Core tables and a module's: all of them carry tenant_id.
TABLES = ("customers", "workers", "tenant_modules", "tickets", "tenants")
KEY = "apiKey { id name permissions }"


@pytest.fixture
def db(client) -> Database:
    db = client.app.state.db
    if db.dialect != "postgresql":
        pytest.skip("row-level security is PostgreSQL's; SQLite has none (set TEST_DATABASE_URL)")
    return db


def with_data(client, name: str, customers: int) -> Api:
    api = new_tenant(client, name)
    api.enable("tickets")
    for number in range(customers):
        customer = api.ok("createCustomer", {"name": f"{name} {number}"}, "customer { id }")
        api.ok("openTicket", {"customerId": customer["customer"]["id"], "subject": "Hi"})
    return api


@pytest.fixture
def tenants(client, db) -> tuple[Api, Api]:
    return with_data(client, "Alpha", 2), with_data(client, "Beta", 1)


async def counts(conn) -> dict[str, int]:
    return {t: await conn.scalar(text(f"SELECT count(*) FROM {t}")) for t in TABLES}


async def tenant_ids(conn, table: str) -> set[int]:
    column = "id" if table == "tenants" else "tenant_id"
    return set(await conn.scalars(text(f"SELECT DISTINCT {column} FROM {table}")))


def tag(tenant_id: int, name: str = "Sneaky"):
    return insert(Tag).values(tenant_id=tenant_id, name=name, color="#000000", position=0)


class Abort(Exception):
    """Ends a transaction with a rollback."""


async def error_of(work, kind: type[Exception] = DBAPIError) -> str:
    """What `work()` fails with, '' if it does not. Checked outside the app's loop: a failed
    `pytest.raises` inside it would stop the loop for every later test."""
    try:
        await work()
    except kind as exc:
        return str(exc)
    return ""


def test_without_a_tenant_the_app_role_sees_no_rows_and_writes_none(client, db, tenants):
    alpha, _ = tenants

    async def work():
        reader = RequestConnection(db)  # no tenant set
        try:
            async with reader() as conn:
                user = await conn.scalar(text("SELECT current_user"))
                seen = await counts(conn)
                refused = await error_of(lambda: conn.execute(tag(alpha.tenant_id)))
        finally:
            await reader.close()
        reader = RequestConnection(db)
        try:
            async with reader() as conn:
                changed = await conn.execute(update(Customer).values(name="Gone"))
                removed = await conn.execute(delete(Customer))
                touched = changed.rowcount + removed.rowcount
        finally:
            await reader.close()
        async with db.read() as conn:  # the login, across tenants: the rows are there
            there = await counts(conn)
        return user, seen, refused, touched, there

    user, seen, refused, touched, there = run(client, work)
    assert user == rls.APP_ROLE
    assert seen == dict.fromkeys(TABLES, 0)
    assert "row-level security" in refused
    assert touched == 0
    assert all(there[t] > 0 for t in TABLES), there


def test_with_a_tenant_only_its_rows_and_never_a_write_into_another(client, db, tenants):
    alpha, beta = tenants

    async def work():
        reader = RequestConnection(db, alpha.tenant_id)
        try:
            async with reader() as conn:
                seen = {t: await tenant_ids(conn, t) for t in TABLES}
                alpha_counts = await counts(conn)
        finally:
            await reader.close()

        async def insert_into_beta():
            async with db.transaction(tenant_id=alpha.tenant_id) as session:
                await session.execute(tag(beta.tenant_id))

        async def move_to_beta():
            async with db.transaction(tenant_id=alpha.tenant_id) as session:
                await session.execute(
                    update(Customer)
                    .where(Customer.tenant_id == alpha.tenant_id)
                    .values(tenant_id=beta.tenant_id)
                    .execution_options(synchronize_session=False)
                )

        inserted, moved = await error_of(insert_into_beta), await error_of(move_to_beta)
        async with db.transaction(tenant_id=alpha.tenant_id) as session:
            renamed = await session.execute(
                update(Customer)
                .where(Customer.tenant_id == beta.tenant_id)
                .values(name="Hijacked")
                .execution_options(synchronize_session=False)
            )
        return seen, alpha_counts, inserted, moved, renamed.rowcount

    seen, alpha_counts, inserted, moved, renamed = run(client, work)
    assert seen == {table: {alpha.tenant_id} for table in TABLES}
    assert alpha_counts == {
        "customers": 2,
        "workers": 1,
        "tenant_modules": 1,
        "tickets": 2,
        "tenants": 1,
    }
    assert "row-level security" in inserted
    assert "row-level security" in moved
    assert renamed == 0
    page = beta.query("{ customers(first: 10) { nodes { name } } }")["customers"]["nodes"]
    assert [n["name"] for n in page] == ["Beta 0"]


def test_a_pooled_connection_never_carries_a_tenant_over(settings, client, db, tenants):
    """One connection (used in turn, the pool hands back the same one): A, none, B, an
    aborted A, none, then the login. Each transaction sees only what it set."""
    alpha, beta = tenants
    probe = text(
        "SELECT pg_backend_pid(), current_user, current_setting('app.tenant_id', true), "
        "(SELECT count(*) FROM customers)"
    )

    async def with_tenant(own: Database, tenant_id):
        async with own.transaction(tenant_id=tenant_id) as session:
            return tuple((await session.execute(probe)).one())

    async def without(own: Database):
        reader = RequestConnection(own)
        try:
            async with reader() as conn:
                return tuple((await conn.execute(probe)).one())
        finally:
            await reader.close()

    async def work():
        own = Database(settings.database_url)
        try:
            steps = [await with_tenant(own, alpha.tenant_id), await without(own)]
            steps.append(await with_tenant(own, beta.tenant_id))

            async def aborted():
                async with own.transaction(tenant_id=alpha.tenant_id) as session:
                    await session.execute(probe)
                    raise Abort

            await error_of(aborted, Abort)
            steps.append(await without(own))
            async with own.read() as conn:
                steps.append(tuple((await conn.execute(probe)).one()))
            return steps
        finally:
            await own.dispose()

    steps = run(client, work)
    assert len({pid for pid, *_ in steps}) == 1, "the pool should have reused one connection"
    app, login = rls.APP_ROLE, steps[-1][1]
    assert [step[1:] for step in steps[:-1]] == [
        (app, str(alpha.tenant_id), 2),
        (app, "", 0),
        (app, str(beta.tenant_id), 1),
        (app, "", 0),
    ]
    assert login != app and steps[-1][3] >= 3  # set-up work: the login, every tenant


def test_the_reader_scopes_every_transaction_it_begins(client, db, tenants):
    alpha, _ = tenants

    async def work():
        reader = RequestConnection(db)
        try:
            async with reader() as conn:
                before = await conn.scalar(text("SELECT count(*) FROM customers"))
            await reader.set_tenant(alpha.tenant_id)  # re-scopes the open transaction
            async with reader() as conn:
                after = await conn.scalar(text("SELECT count(*) FROM customers"))
                await conn.commit()
            async with reader() as conn:  # a new transaction: scoped again
                again = (
                    await conn.execute(
                        text("SELECT current_user, (SELECT count(*) FROM customers)")
                    )
                ).one()
            switched = await error_of(lambda: reader.set_tenant(alpha.tenant_id + 1), RuntimeError)

            async def commit_then_read():
                async with reader() as conn:
                    await conn.commit()
                    await conn.execute(text("SELECT 1"))  # would run unscoped: refused

            recommitted = await error_of(commit_then_read, RuntimeError)
            async with reader() as conn:  # and the unscoped transaction is never used
                last = await conn.scalar(text("SELECT current_user"))
        finally:
            await reader.close()
        return before, after, tuple(again), switched, recommitted, last

    before, after, again, switched, recommitted, last = run(client, work)
    assert (before, after, again, last) == (0, 2, (rls.APP_ROLE, 2), rls.APP_ROLE)
    assert "one tenant" in switched
    assert "committed" in recommitted


def test_requests_read_and_write_as_the_app_role_with_their_tenant(
    client, db, tenants, monkeypatch
):
    """Through HTTP: the token's tenant scopes the reads, the principal's the writes; and
    with the app's own tenant filter gone, the database still hides the other tenant."""
    alpha, beta = tenants
    seen = []
    probe = text("SELECT current_user, current_setting('app.tenant_id', true)")

    list_keys, create_key = api_keys.list_api_keys, api_keys.create_api_key

    async def spy_list(conn, tenant_id):
        seen.append(("read", *(await conn.execute(probe)).one()))
        return await list_keys(conn, tenant_id)

    async def spy_create(session, *args):
        seen.append(("write", *(await session.execute(probe)).one()))
        return await create_key(session, *args)

    monkeypatch.setattr(api_keys, "list_api_keys", spy_list)
    monkeypatch.setattr(api_keys, "create_api_key", spy_create)
    alpha.ok("createApiKey", {"name": "probe", "permissions": []}, KEY)
    alpha.query("{ apiKeys { id } }")
    tenant = str(alpha.tenant_id)
    assert seen == [("write", rls.APP_ROLE, tenant), ("read", rls.APP_ROLE, tenant)]

    monkeypatch.setattr(
        customer_queries, "visible_customers", lambda _principal, _walking=False: true()
    )
    page = alpha.query("{ customers(first: 50) { totalCount nodes { name } } }")["customers"]
    assert page["totalCount"] == 2
    assert {n["name"] for n in page["nodes"]} == {"Alpha 0", "Alpha 1"}
    other = beta.query("{ customers(first: 50) { nodes { name } } }")["customers"]["nodes"]
    assert [n["name"] for n in other] == ["Beta 0"]


def test_the_principal_read_sets_the_scope_in_the_same_statement(client, db, tenants):
    """A signed-in request's first statement reads the principal and sets the transaction's
    role and tenant; what follows reads as the app role (the test above)."""
    alpha, _ = tenants
    alpha.query("{ __typename }")
    with count_statements(db.engine) as counter:
        alpha.query("{ __typename }")
    (statement,) = counter.statements
    assert "set_config" in statement and "workers" in statement


def test_an_api_key_is_found_across_tenants_only_with_its_secret(client, db, tenants):
    alpha, _ = tenants
    made = alpha.ok(
        "createApiKey", {"name": "sync", "permissions": ["customers.view_all"]}, "secret"
    )
    secret = made["secret"]
    keyed = Api(client, alpha.tenant_id, alpha.worker_id, token=secret)
    names = keyed.query("{ customers(first: 10) { nodes { name } } }")["customers"]["nodes"]
    assert {n["name"] for n in names} == {"Alpha 0", "Alpha 1"}
    prefix = secret[len("chk_") :].split("_", 1)[0]

    async def work():
        reader = RequestConnection(db)  # the app role, no tenant: as before a key is known
        try:
            async with reader() as conn:
                find = text(f"SELECT count(*) FROM {rls.KEY_FUNCTION}(:prefix, :hash)")
                wrong = await conn.scalar(find, {"prefix": prefix, "hash": "0" * 64})
                keys = await conn.scalar(text("SELECT count(*) FROM api_keys"))
        finally:
            await reader.close()
        return wrong, keys

    assert run(client, work) == (0, 0)


def test_every_tenant_table_is_forced_and_the_app_role_owns_and_bypasses_nothing(
    settings, client, db
):
    rls.apply(settings.database_url)  # again: idempotent

    async def work():
        async with db.read() as conn:
            tables = (
                await conn.execute(
                    text(
                        "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
                        "(SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid), "
                        "pg_get_userbyid(c.relowner) "
                        "FROM information_schema.columns col "
                        "JOIN pg_class c ON c.relname = col.table_name "
                        "AND c.relnamespace = current_schema()::regnamespace "
                        "WHERE col.table_schema = current_schema() "
                        "AND col.column_name = 'tenant_id' AND c.relkind = 'r'"
                    )
                )
            ).all()
            role = (
                await conn.execute(
                    text(
                        "SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles "
                        "WHERE rolname = :role"
                    ),
                    {"role": rls.APP_ROLE},
                )
            ).one()
            version_table = await conn.scalar(
                text("SELECT has_table_privilege(:role, 'alembic_version', 'SELECT')"),
                {"role": rls.APP_ROLE},
            )
        return tables, tuple(role), version_table

    tables, role, version_table = run(client, work)
    names = {t[0] for t in tables}
    assert {"customers", "workers", "api_keys", "tickets", "invoices"} <= names
    assert all(t[1:4] == (True, True, 1) and t[4] != rls.APP_ROLE for t in tables), tables
    assert role == (False, False, False)
    assert version_table is False
