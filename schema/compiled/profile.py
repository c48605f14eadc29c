"""`Customer.customFields` and `Customer.viewerCan`, compiled (on `customer(id:)` and on list
rows alike), answering as `schema/customers/types.py` and `schema/customers/viewer.py` do.

`customFields` is a per-request part: for the page's customers, the definitions shown
(`core.custom_fields.visible` as a recursive select: a field without a condition shows in
its folders; a dependent one shows in its folders while its source shows and holds one of
the wanted values; a field on a cycle never shows) and each one's value, as a JSON array
per customer. It depends on no principal and no time: definitions, folders and values are
read by the statement, so a changed definition shows on the next request of a kept plan.

`viewerCan`: permissions are known at plan time (plans are per permission shape), so all
but "may this worker change this customer" are literals; that is `core.access.
editable_customers` as a part (per principal), or a literal when the permissions alone
decide (no `customers.edit`, or `customers.view_all`)."""

from types import SimpleNamespace

from sqlalchemy import select, text

from core import access
from core.models import Customer as C
from schema.catalog.types import CustomFieldType
from schema.compiled import customers
from schema.compiled.dialects import finish
from schema.compiled.dialects import literal as lit
from schema.compiled.objects import Compile, Scope, column, fixed, gid, obj
from schema.compiled.selection import Field, NotCompiled
from schema.customers.viewer import VIEW_SUFFIX, module_permissions


class _Postgres:
    """The SQL of a custom field's visibility and value on PostgreSQL (`vals`: the
    customer's `custom_fields`, jsonb; `d`: the definition's row)."""

    def value(self, vals: str, key: str) -> str:
        return f"({vals} -> {key})"

    def scalar(self, value: str) -> str:
        """A JSON value as SQL text (a string's characters, a number's digits, true/false)."""
        return f"({value} #>> '{{}}')"

    def kind(self, value: str) -> str:
        """'array', 'string', 'number', 'boolean', else something else or null."""
        return f"jsonb_typeof({value})"

    materialized = "MATERIALIZED "

    def customers(self) -> str:
        """The page's customers: values and folder ids (`fids`), read once."""
        return (
            "SELECT c.id, c.custom_fields AS vals, c.tenant_id, ARRAY(SELECT x.folder_id "
            "FROM customer_folders x WHERE x.customer_id = c.id) AS fids "
            "FROM customers c WHERE c.id IN (SELECT id FROM page)"
        )

    def definitions(self, extra: str) -> str:
        """The tenant's definitions, their folder ids (`fids`) as an array, and `extra`
        columns (the selection's `definition` objects, made once per definition)."""
        folders = (
            "CASE WHEN jsonb_typeof(d.folder_ids) = 'array' THEN d.folder_ids "
            "ELSE CAST('[]' AS jsonb) END"
        )
        return (
            "SELECT d.*, ARRAY(SELECT CAST(e AS integer) FROM "
            f"jsonb_array_elements_text({folders}) AS e) AS fids{extra} "
            "FROM custom_field_definitions d WHERE d.tenant_id IN (SELECT tenant_id FROM pc)"
        )

    def in_folders(self, d: str, fids: str, customer: str) -> str:
        return f"(cardinality({d}.fids) = 0 OR {d}.fids && {fids})"

    def matches(self, d: str, current: str) -> str:
        """`custom_fields._value_matches`: a wanted option among the chosen ones (a list's
        elements, or the one value; a yes/no as 'true' / 'false')."""
        wanted = (
            f"CASE WHEN jsonb_typeof({d}.condition_values) = 'array' "
            f"THEN {d}.condition_values ELSE CAST('[]' AS jsonb) END"
        )
        chosen = (
            f"CASE jsonb_typeof({current}) "
            f"WHEN 'array' THEN {current} @> jsonb_build_array(w.x) "
            f"WHEN 'string' THEN {current} = w.x "
            f"WHEN 'boolean' THEN ({current} #>> '{{}}') = (w.x #>> '{{}}') ELSE FALSE END"
        )
        return (
            f"EXISTS (SELECT 1 FROM jsonb_array_elements({wanted}) AS w(x) "
            f"WHERE jsonb_typeof(w.x) = 'string' AND {chosen})"
        )

    def number(self, value: str, text_: str) -> str:
        """A JSON number as orjson writes the float the resolver gives: plain digits (with
        ".0" when integral) from 1e-5 to 1e16, else the shortest exponent form."""
        n = f"CAST({text_} AS numeric)"
        plain = f"CASE WHEN strpos({text_}, '.') > 0 THEN {text_} ELSE {text_} || '.0' END"
        exponent = f"replace(CAST(CAST({n} AS float8) AS text), 'e-0', 'e-')"
        made = (
            f"CASE WHEN {n} = 0 OR abs({n}) >= 0.00001 AND abs({n}) < 1e16 "
            f"THEN {plain} ELSE {exponent} END"
        )
        return f"CAST({made} AS json)"

    def boolean(self, value: str, text_: str) -> str:
        return f"CAST({text_} AS boolean)"

    def options(self, value: str) -> str:
        return f"CAST({value} AS json)"

    def listed(self, value: str) -> str:
        return f"CASE WHEN jsonb_typeof({value}) = 'array' THEN {value} ELSE '[]' END"

    def ends_with_z(self, text_: str) -> str:
        return f"right({text_}, 1) = 'Z'"

    def drop_last(self, text_: str) -> str:
        return f"left({text_}, -1)"

    def grouped(self, element: str) -> str:
        """The JSON array per customer of `element` over `s` (a shown definition's columns
        and the customer's value `v`), in the definitions' order."""
        return (
            f"SELECT s.customer_id, json_agg({element} ORDER BY s.position, s.id) AS v "
            f"FROM {_rows(self)} GROUP BY s.customer_id"
        )

    def empty(self) -> str:
        return "CAST('[]' AS json)"

    def json(self, expr: str) -> str:
        return expr


class _Sqlite(_Postgres):
    def value(self, vals: str, key: str) -> str:
        return f"({vals} -> ('$.' || {key}))"

    def scalar(self, value: str) -> str:
        return f"json_extract({value}, '$')"

    def kind(self, value: str) -> str:
        """As `_Postgres.kind` ('text' → 'string', 'integer'/'real' → 'number')."""
        return (
            f"CASE json_type({value}) WHEN 'text' THEN 'string' WHEN 'integer' THEN 'number' "
            f"WHEN 'real' THEN 'number' WHEN 'true' THEN 'boolean' WHEN 'false' THEN 'boolean' "
            f"ELSE json_type({value}) END"
        )

    materialized = ""

    def customers(self) -> str:
        return (
            "SELECT c.id, c.custom_fields AS vals, c.tenant_id, NULL AS fids "
            "FROM customers c WHERE c.id IN (SELECT id FROM page)"
        )

    def definitions(self, extra: str) -> str:
        return (
            f"SELECT d.*, d.folder_ids AS fids{extra} FROM custom_field_definitions d "
            "WHERE d.tenant_id IN (SELECT tenant_id FROM pc)"
        )

    def in_folders(self, d: str, fids: str, customer: str) -> str:
        return (
            f"(coalesce(json_type({d}.fids), '') <> 'array' OR json_array_length({d}.fids) = 0 "
            f"OR EXISTS (SELECT 1 FROM customer_folders x, json_each({d}.fids) AS e "
            f"WHERE x.customer_id = {customer} AND x.folder_id = e.value))"
        )

    def matches(self, d: str, current: str) -> str:
        wanted = (
            f"CASE WHEN json_type({d}.condition_values) = 'array' "
            f"THEN {d}.condition_values ELSE '[]' END"
        )
        chosen = (
            f"CASE json_type({current}) "
            f"WHEN 'array' THEN EXISTS (SELECT 1 FROM json_each({current}) AS c "
            f"WHERE c.type = 'text' AND c.value = w.value) "
            f"WHEN 'text' THEN json_extract({current}, '$') = w.value "
            f"WHEN 'true' THEN w.value = 'true' WHEN 'false' THEN w.value = 'false' ELSE 0 END"
        )
        return f"EXISTS (SELECT 1 FROM json_each({wanted}) AS w WHERE w.type = 'text' AND {chosen})"

    def number(self, value: str, text_: str) -> str:
        return f"json(hub_json_float({text_}))"  # core.database registers it

    def boolean(self, value: str, text_: str) -> str:
        return f"CASE WHEN {text_} THEN json('true') ELSE json('false') END"

    def options(self, value: str) -> str:
        return f"json({value})"

    def listed(self, value: str) -> str:
        return f"json(CASE WHEN json_type({value}) = 'array' THEN {value} ELSE '[]' END)"

    def ends_with_z(self, text_: str) -> str:
        return f"substr({text_}, -1) = 'Z'"

    def drop_last(self, text_: str) -> str:
        return f"substr({text_}, 1, length({text_}) - 1)"

    def grouped(self, element: str) -> str:
        rows = (
            f"SELECT s.customer_id, {element} AS e FROM {_rows(self)} "
            "ORDER BY s.customer_id, s.position, s.id"
        )
        return (
            f"SELECT customer_id, json_group_array(json(e)) AS v FROM ({rows}) GROUP BY customer_id"
        )

    def empty(self) -> str:
        return "json('[]')"

    def json(self, expr: str) -> str:
        return f"json({expr})"  # a CTE's column loses its JSON subtype


SQL = {"postgresql": _Postgres(), "sqlite": _Sqlite()}


def _rows(x) -> str:
    return (
        f"(SELECT sh.customer_id, dd.*, {x.value('sh.vals', 'dd.key')} AS v "
        "FROM shown sh JOIN dd ON dd.id = sh.def_id) AS s"
    )


DEFINITION: dict[str, Compile] = {
    "id": gid("CustomFieldDefinition"),
    "key": column("key"),
    "label": column("label"),
    "type": column("type", enum=CustomFieldType),
    "description": column("description"),
    "required": column("required", "bool"),
    "group": column("group_name"),
    "position": column("position", "int"),
}


def _shown(x, extra: str) -> str:
    """(customer_id, def_id, vals, fids) of the page's customers: each definition shown for
    each, from the fields without a condition down to those depending on a shown one (each
    definition has one source, so each pair is reached once; a cycle is never reached).
    The page's customers and the tenant's definitions are read once, first (`pc`, `dd`):
    joined directly, PostgreSQL walked the whole tenant's customers per definition whenever
    its estimates were a young tenant's (35 ms for a profile of the demo)."""
    current = x.value("src.vals", "p.key")
    m = x.materialized
    return (
        f"WITH RECURSIVE pc AS {m}({x.customers()}), dd AS {m}({x.definitions(extra)}), "
        "shown(customer_id, def_id, vals, fids) AS ("
        "SELECT pc.id, dd.id, pc.vals, pc.fids FROM pc JOIN dd ON dd.condition_field_id IS NULL "
        f"WHERE {x.in_folders('dd', 'pc.fids', 'pc.id')} "
        "UNION ALL "
        "SELECT src.customer_id, dd.id, src.vals, src.fids FROM shown src "
        "JOIN dd p ON p.id = src.def_id JOIN dd ON dd.condition_field_id = p.id "
        f"WHERE {x.in_folders('dd', 'src.fids', 'src.customer_id')} "
        f"AND {x.matches('dd', current)}) "
    )


def custom_fields(scope: Scope, f: Field, row: str) -> str:
    """The fields shown, in (position, id) order, each value in the field of its type."""
    x = SQL[scope.d.name]
    d = scope.d
    value, raw = "s.v", x.scalar("s.v")

    def of(kinds: tuple[str, ...], json_kind: str, made: str) -> Compile:
        types = ", ".join(lit(k) for k in kinds)
        return fixed(
            f"CASE WHEN s.type IN ({types}) AND {x.kind(value)} = '{json_kind}' THEN {made} END"
        )

    definitions: list[str] = []  # one column of `dd` per `definition` selection

    def definition(s: Scope, sub: Field, _row: str) -> str:
        table = {**DEFINITION, "options": fixed(x.listed("d.options"))}
        definitions.append(obj(s, "CustomFieldDefinition", table, sub, "d"))
        return x.json(f"s.def{len(definitions) - 1}")

    seconds = f"CASE WHEN {x.ends_with_z(raw)} THEN {x.drop_last(raw)} || '+00:00' ELSE {raw} END"
    table = {
        "definition": definition,
        "text": of(("TEXT", "LONG_TEXT", "SINGLE_SELECT"), "string", raw),
        "number": of(("NUMBER",), "number", x.number(value, raw)),
        "date": of(("DATE",), "string", raw),
        "dateTime": of(("DATE_TIME",), "string", seconds),
        "boolean": of(("BOOLEAN",), "boolean", x.boolean(value, raw)),
        "options": of(("MULTI_SELECT",), "array", x.options(value)),
    }
    element = obj(scope, "CustomFieldValue", table, f, "s")
    extra = "".join(f", {made} AS def{i}" for i, made in enumerate(definitions))
    sql = finish(_shown(x, extra) + x.grouped(element))
    name = scope.alias("cfv")
    part = customers.Part(name, lambda *_: text(sql).columns(), "customer_id", ("v",))
    scope.parts.setdefault(part.name, part)
    made = f"coalesce({row}.{name}__v, {x.empty()})"
    return made if d.name == "postgresql" else f"json({made})"


def _editable(principal, plugins, ids):
    return select(C.id).where(access.editable_customers(principal), C.id.in_(ids))


EDITABLE = customers.Part("editable", _editable, "id", ("id",))


def viewer_can(scope: Scope, f: Field, row: str) -> str:
    """`schema.customers.viewer.viewer_can`: `edit` per row, the rest literals around it."""
    principal, d = scope.principal, scope.d
    if not access.can(principal, "customers.edit"):
        editable = "FALSE" if d.name == "postgresql" else "0"
    elif access.can(principal, "customers.view_all"):
        editable = "TRUE" if d.name == "postgresql" else "1"
    else:
        scope.parts.setdefault(EDITABLE.name, EDITABLE)
        editable = f"({row}.editable__id IS NOT NULL)"
    no = "FALSE" if d.name == "postgresql" else "0"

    def both(permission: str) -> str:
        return editable if access.can(principal, permission) else no

    modules = []
    ctx = SimpleNamespace(registry=scope.registry, plugins=scope.plugins)
    for module, permissions in module_permissions(ctx).items():
        if module not in principal.modules:
            continue
        held = [p for p in permissions if access.can(principal, p)]
        viewing = [p for p in held if p.endswith(VIEW_SUFFIX)]
        if not viewing:
            continue
        modules.append((module, held, viewing))

    def ability(module: str, held: list[str], viewing: list[str]) -> Compile:
        def compile_(s: Scope, sub: Field, _row: str) -> str:
            manages = len(held) > len(viewing)
            every, seen = d.listed([lit(p) for p in held]), d.listed([lit(p) for p in viewing])
            chosen = (
                every if held == viewing else f"CASE WHEN {editable} THEN {every} ELSE {seen} END"
            )
            answers = {
                "module": fixed(lit(module)),
                "permissions": fixed(chosen if d.name == "postgresql" else f"json({chosen})"),
                "manage": fixed(d.boolean(editable if manages else no)),
            }
            return obj(s, "ModuleAbilities", answers, sub, _row)

        return compile_

    def listed(s: Scope, sub: Field, _row: str) -> str:
        return d.listed([ability(*m)(s, sub, _row) for m in modules])

    if len(modules) > 100:
        raise NotCompiled("more than 100 modules")
    answers = {
        "edit": fixed(d.boolean(editable)),
        "delete": fixed(d.boolean(both("customers.erase"))),
        "archive": fixed(d.boolean(both("customers.delete"))),
        "modules": listed,
    }
    return obj(scope, "CustomerViewerCan", answers, f, row)


FIELDS: dict[str, Compile] = {"customFields": custom_fields, "viewerCan": viewer_can}
customers.CUSTOMER.update(FIELDS)
