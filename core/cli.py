"""`customer-hub`: the few operations that must work before anyone can sign in (migrating,
creating a tenant, issuing a token) and the demo set-up behind `make run`."""

import argparse
import asyncio
import json
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy.exc import OperationalError, ProgrammingError

from core import migrate
from core.access import principal_for
from core.auth import issue_token
from core.config import VAR_DIR, Settings
from core.database import Database
from core.demo import DEMO_TENANT, seed_demo
from core.errors import InvalidInput
from core.plugins import Plugins, entry_point_names
from core.storage import make_storage
from core.tenants import create_tenant

DEMO_TOKEN_TTL = timedelta(days=30)


class CommandError(Exception):
    """A message for the user, then exit status 1 (no traceback)."""


def _run(settings: Settings, work):
    """Each command gets its own loop and engine: migrations (which start a loop of their
    own) must run outside any loop, so the process never keeps one open."""

    async def runner():
        db = Database.from_settings(settings)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(runner())


def installed_plugins() -> Plugins:
    return Plugins(entry_points=entry_point_names(Settings()), check_hooks=False)


def cmd_migrate(settings: Settings, _args) -> None:
    migrate.upgrade(settings.database_url, installed_plugins().migration_locations())
    print("Database is up to date.")


def cmd_create_tenant(settings: Settings, args) -> None:
    async def work(db: Database):
        async with db.transaction() as session:
            tenant, owner = await create_tenant(
                session, args.name, args.owner_name, args.owner_email, args.time_zone
            )
            return tenant.id, owner.id

    try:
        tenant_id, owner_id = _run(settings, work)
    except InvalidInput as exc:
        lines = [f"{'.'.join(p.field[1:])}: {p.message}" for p in exc.problems]
        raise CommandError("\n".join(lines)) from exc
    ttl = timedelta(minutes=settings.access_token_ttl_minutes)
    print(f"tenant_id={tenant_id}")
    print(f"owner_id={owner_id}")
    print(f"token={issue_token(settings.signing_key, tenant_id, owner_id, ttl)}")


def cmd_issue_token(settings: Settings, args) -> None:
    async def work(db: Database):
        async with db.read() as conn:
            return await principal_for(conn, args.tenant, args.worker)

    if _run(settings, work) is None:
        raise CommandError(f"Tenant {args.tenant} has no worker {args.worker}.")
    ttl = timedelta(minutes=args.ttl_minutes or settings.access_token_ttl_minutes)
    print(issue_token(settings.signing_key, args.tenant, args.worker, ttl))


def cmd_seed_demo(settings: Settings, _args) -> None:
    storage = make_storage(settings)
    tenant_id, admin_id = _run(
        settings, lambda db: seed_demo(db, installed_plugins(), storage=storage)
    )
    print(f"tenant_id={tenant_id}")
    print(f"admin_id={admin_id}")


def cmd_demo_token(settings: Settings, args) -> None:
    plugins = installed_plugins()
    migrate.upgrade(settings.database_url, plugins.migration_locations())
    storage = make_storage(settings)
    tenant_id, admin_id = _run(settings, lambda db: seed_demo(db, plugins, storage=storage))
    token = issue_token(settings.signing_key, tenant_id, admin_id, DEMO_TOKEN_TTL)
    path = Path(args.write)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(token + "\n")
    path.chmod(0o600)
    header = json.dumps({"Authorization": f"Bearer {token}"})
    print(
        f"Demo tenant {tenant_id} ({DEMO_TENANT}), admin worker {admin_id}.\n"
        f"A token valid for {DEMO_TOKEN_TTL.days} days is in {path}.\n\n"
        f"Open http://{settings.host}:{settings.port}/graphql and paste this into "
        f"GraphiQL's Headers tab:\n\n{header}\n"
    )


def minutes(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be a positive number")
    return value


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="customer-hub", description="Customer Hub administration (reads DATABASE_URL etc.)."
    )
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("migrate", help="upgrade the database schema").set_defaults(run=cmd_migrate)

    create = commands.add_parser("create-tenant", help="create a tenant and its owner")
    create.add_argument("name")
    create.add_argument("--owner-name", required=True)
    create.add_argument("--owner-email", required=True)
    create.add_argument("--time-zone", default="UTC", help="IANA name, e.g. Europe/Berlin")
    create.set_defaults(run=cmd_create_tenant)

    token = commands.add_parser("issue-token", help="print an access token for a worker")
    token.add_argument("--tenant", type=int, required=True)
    token.add_argument("--worker", type=int, required=True)
    token.add_argument("--ttl-minutes", type=minutes, help="default: ACCESS_TOKEN_TTL_MINUTES")
    token.set_defaults(run=cmd_issue_token)

    commands.add_parser("seed-demo", help="create the demo tenant if missing").set_defaults(
        run=cmd_seed_demo
    )

    demo = commands.add_parser(
        "demo-token", help="migrate, seed the demo, write a token for its admin"
    )
    demo.add_argument("--write", default=str(VAR_DIR / "demo-token"), metavar="PATH")
    demo.set_defaults(run=cmd_demo_token)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        args.run(Settings(), args)
    except CommandError as exc:
        print(f"customer-hub: {exc}", file=sys.stderr)
        return 1
    except (OperationalError, ProgrammingError) as exc:
        print(
            f"customer-hub: database error: {exc.orig}\n"
            "(Is DATABASE_URL right, and has `customer-hub migrate` run?)",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
