"""Each compiled type as a table of its fields: how a field's JSON value is computed from
the row of its object (`row`, an alias in the statement). A field missing from a table is
not compiled (the operation takes the usual path), so a table only ever grows.

Values come out as the resolvers render them: the tables below mirror `from_row` of
`schema/customers/types.py`, `schema/catalog/types.py` and `schema/team/types.py`; the
differential tests (`tests/compiled/`) hold the two to the same answers."""

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from schema.catalog.types import StatusCategory
from schema.compiled.dialects import bind, literal
from schema.compiled.selection import Field, NotCompiled, fields
from schema.team.types import WorkerRole


@dataclass
class Scope:
    """What compiling one operation needs and gathers: the dialect's SQL, the document's
    fragments, the principal (plan time: its permissions and modules decide what compiles),
    and the per-request parts the SQL refers to (`page`, `subs`, `parents`, `tabs`…)."""

    d: object
    schema: object
    fragments: dict
    principal: object
    plugins: object
    registry: object
    module_fields: dict
    parts: dict = field(default_factory=dict)
    one: bool = False  # `customer(id:)`: the parts are of one customer (`customers.ONE`)
    counter: itertools.count = field(default_factory=itertools.count)

    def alias(self, prefix: str) -> str:
        return f"{prefix}{next(self.counter)}"

    def selected(self, f: Field, type_name: str) -> list[Field]:
        return fields(f.nodes, self.fragments, self.schema, type_name)


Compile = Callable[[Scope, Field, str], str]


def obj(scope: Scope, type_name: str, table: dict, f: Field, row: str) -> str:
    """The JSON object of `f`'s selection on the object of `row`."""
    pairs = []
    for sub in scope.selected(f, type_name):
        if sub.name == "__typename":
            pairs.append((sub.key, literal(type_name)))
            continue
        compile_ = table.get(sub.name)
        if compile_ is None or (sub.has_arguments and not getattr(compile_, "arguments", False)):
            raise NotCompiled(f"{type_name}.{sub.name}")
        pairs.append((sub.key, compile_(scope, sub, row)))
    if not pairs or len(pairs) > 50:  # json_build_object takes at most 100 arguments
        raise NotCompiled("too many fields")
    return scope.d.obj(pairs)


def fixed(sql: str) -> Compile:
    """A field whose value is `sql` whatever is selected under it (a constant, a bind, a
    value worked out beforehand)."""
    return lambda scope, f, row: sql


def column(name: str, kind: str = "text", enum: type[Enum] | None = None) -> Compile:
    def compile_(scope: Scope, f: Field, row: str) -> str:
        expr = f"{row}.{name}"
        if kind == "bool":
            return scope.d.boolean(expr)
        if kind == "ts":
            return scope.d.ts(expr)
        if kind == "date":
            return scope.d.date(expr)
        if enum is not None:
            whens = " ".join(f"WHEN {literal(m.value)} THEN {literal(m.name)}" for m in enum)
            return f"CASE {expr} {whens} END"
        return expr

    return compile_


def avatar_url(scope: Scope, f: Field, row: str) -> str:
    """`avatarUrl` without `size`: the small thumbnail's link when a photo was uploaded
    (the viewer's link base is a bind, `schema.avatar_links.link_base`), else the stored URL."""
    link = f"{bind('avatar_base')} || {row}.avatar_key || '/small'"
    return f"CASE WHEN {row}.avatar_key IS NULL THEN {row}.avatar_url ELSE {link} END"


def gid(type_name: str, name: str = "id") -> Compile:
    return lambda scope, f, row: scope.d.gid(type_name, f"{row}.{name}")


def of_tenant(alias: str) -> str:
    """The condition that the row `alias` is the request's tenant's (`tenant_id`, bound)."""
    return f"{alias}.tenant_id = {bind('tenant_id')}"


STATUS = {
    "id": gid("Status"),
    "name": column("name"),
    "color": column("color"),
    "category": column("category", enum=StatusCategory),
    "position": column("position", "int"),
    "isDefault": column("is_default", "bool"),
}
TAG = {
    "id": gid("Tag"),
    "name": column("name"),
    "color": column("color"),
    "position": column("position", "int"),
}


def folder_statuses(scope: Scope, f: Field, row: str) -> str:
    """`Folder.statuses`: the folder's own status list, in order."""
    s = scope.alias("fs")
    source = f"FROM statuses {s} WHERE {s}.folder_id = {row}.id AND {of_tenant(s)}"
    return scope.d.array(obj(scope, "Status", STATUS, f, s), source, f"{s}.position, {s}.id")


FOLDER = {
    "id": gid("Folder"),
    "statuses": folder_statuses,
    "name": column("name"),
    "color": column("color"),
    "position": column("position", "int"),
    "createdAt": column("created_at", "ts"),
}
WORKER = {
    "id": gid("Worker"),
    "name": column("name"),
    "email": column("email"),
    "avatarUrl": avatar_url,
    "role": column("role", enum=WorkerRole),
    "atWork": column("at_work", "bool"),
    "position": column("position", "int"),
    "showSubCustomers": column("show_sub_customers", "bool"),
}


def status_of(status_column: str) -> Compile:
    def compile_(scope: Scope, f: Field, row: str) -> str:
        s = scope.alias("s")
        value = obj(scope, "Status", STATUS, f, s)
        return scope.d.sub(
            f"SELECT {value} FROM statuses {s} WHERE {s}.id = {row}.{status_column} "
            f"AND {of_tenant(s)}"
        )

    return compile_


def tags(scope: Scope, f: Field, row: str) -> str:
    link, t = scope.alias("ct"), scope.alias("t")
    source = (
        f"FROM customer_tags {link} JOIN tags {t} ON {t}.id = {link}.tag_id "
        f"WHERE {link}.customer_id = {row}.id AND {of_tenant(link)}"
    )
    return scope.d.array(obj(scope, "Tag", TAG, f, t), source, f"{t}.position, {t}.name")


def workers(scope: Scope, f: Field, row: str) -> str:
    link, w = scope.alias("cw"), scope.alias("w")
    source = (
        f"FROM customer_workers {link} JOIN workers {w} ON {w}.id = {link}.worker_id "
        f"WHERE {link}.customer_id = {row}.id AND {of_tenant(link)}"
    )
    return scope.d.array(obj(scope, "Worker", WORKER, f, w), source, f"{w}.position, {w}.name")


def folders(scope: Scope, f: Field, row: str) -> str:
    link, folder = scope.alias("cf"), scope.alias("f")
    membership = {
        "folder": lambda scope, sub, _: obj(scope, "Folder", FOLDER, sub, folder),
        "addedAt": column("added_at", "ts"),
        "status": status_of("status_id"),
    }
    source = (
        f"FROM customer_folders {link} JOIN folders {folder} ON {folder}.id = {link}.folder_id "
        f"WHERE {link}.customer_id = {row}.id AND {of_tenant(link)}"
    )
    element = obj(scope, "FolderMembership", membership, f, link)
    return scope.d.array(element, source, f"{folder}.position, {folder}.id")


def contacts(name: str) -> Compile:
    def compile_(scope: Scope, f: Field, row: str) -> str:
        d = scope.d

        def pick(entry: str) -> str:
            table = {key: fixed(d.contact(entry, key)) for key in ("label", "value", "primary")}
            return obj(scope, "ContactPoint", table, f, entry)

        return d.contacts(f"{row}.{name}", pick)

    return compile_


def primary(name: str) -> Compile:
    return lambda scope, f, row: scope.d.primary(f"{row}.{name}")


def row_of(table: str, type_name: str, fields: dict, key: str) -> Compile:
    """The tenant's row of `table` whose id is the row's `key` column, or null (the loader
    by id answers so: a removed row is null)."""

    def compile_(scope: Scope, f: Field, row: str) -> str:
        o = scope.alias("o")
        value = obj(scope, type_name, fields, f, o)
        return scope.d.sub(
            f"SELECT {value} FROM {table} {o} WHERE {o}.id = {row}.{key} AND {of_tenant(o)}"
        )

    return compile_


def worker(key: str) -> Compile:
    """The worker the row's `key` names (`schema.kit.worker`): null for none or removed."""
    return row_of("workers", "Worker", WORKER, key)
