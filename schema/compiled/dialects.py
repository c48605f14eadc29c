"""The SQL that renders values exactly as the resolvers do, in PostgreSQL's and SQLite's JSON
functions: global ids (`schema.ids`), `datetime.isoformat()`, booleans, enums by name,
cursors (`core.pagination.encode_cursor`).

Statements are written as text with bind parameters written `bind("name")`; `finish` turns
them into `sqlalchemy.text` syntax (every other colon escaped, so a literal like
`'Customer:'` or a cast never reads as a parameter)."""

MARK = "\x00"


def bind(name: str) -> str:
    return f"{MARK}{name}{MARK}"


def finish(sql: str) -> str:
    escaped = sql.replace(":", "\\:")
    parts = escaped.split(MARK)
    return "".join(f":{part}" if index % 2 else part for index, part in enumerate(parts))


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class Postgres:
    name = "postgresql"

    def obj(self, pairs: list[tuple[str, str]]) -> str:
        return "json_build_object(" + ", ".join(f"'{k}', {v}" for k, v in pairs) + ")"

    def sub(self, select: str) -> str:
        """A scalar subquery's JSON value inside another JSON value."""
        return f"({select})"

    def array(self, element: str, source: str, order: str) -> str:
        """The JSON array of `element` over `source` (FROM … WHERE …) in `order`; [] if none."""
        return f"(SELECT coalesce(json_agg({element} ORDER BY {order}), '[]') {source})"

    def listed(self, values: list[str]) -> str:
        """The JSON array of these values (at most 100), in order."""
        return "json_build_array(" + ", ".join(values) + ")"

    def b64url(self, expr: str) -> str:
        return (
            f"rtrim(translate(encode(convert_to({expr}, 'UTF8'), 'base64'), E'+/\\n', '-_'), '=')"
        )

    def gid(self, type_name: str, expr: str) -> str:
        return self.b64url(f"'{type_name}:' || {expr}")

    def boolean(self, expr: str) -> str:
        return expr

    def ts(self, expr: str) -> str:
        """`isoformat()`: no fraction when it is zero (null stays null)."""
        text = f"""to_char({expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')"""
        return f"replace({text}, '.000000', '') || '+00:00'"

    def date(self, expr: str) -> str:
        return f"to_char({expr}, 'YYYY-MM-DD')"

    def json_text(self, expr: str) -> str:
        """`expr` (text) as a JSON string, as orjson writes it."""
        return f"to_json({expr}::text)::text"

    def contact(self, column: str, key: str) -> str:
        return f"{column}->'{key}'"

    def contacts(self, column: str, pick) -> str:
        """The JSON array of a contact column's entries (`pick(entry)` the object of one)."""
        source = f"FROM jsonb_array_elements({column}) WITH ORDINALITY AS e(x, i)"
        return self.array(pick("e.x"), source, "e.i")

    def primary(self, column: str) -> str:
        return f"jsonb_path_query_first({column}, '$[*] ? (@.primary == true).value') #>> '{{}}'"

    def hidden_tabs(self, key: str, name: str, ids: str) -> str:
        """(customer id as `key`, ",k1,k2," as `name`): the tabs the folders of the
        customers `ids` (a select) hide."""
        return (
            f"SELECT hx.customer_id AS {key}, ',' || string_agg(h.tab, ',') || ',' AS {name} "
            "FROM customer_folders hx JOIN folders hf ON hf.id = hx.folder_id "
            "CROSS JOIN LATERAL jsonb_array_elements_text(hf.hidden_tabs) AS h(tab) "
            f"WHERE hx.customer_id IN ({ids}) GROUP BY hx.customer_id"
        )

    def some_of(self, elements: list[tuple[str, str]], alias: str) -> str:
        """The JSON array of the values whose condition holds, in order."""
        rows = ", ".join(f"({i}, CASE WHEN {c} THEN {v} END)" for i, (c, v) in enumerate(elements))
        source = f"FROM (VALUES {rows}) AS {alias}(o, v) WHERE {alias}.v IS NOT NULL"
        return self.array(f"{alias}.v", source, f"{alias}.o")

    def contains(self, text: str, needle: str) -> str:
        return f"strpos({text}, {literal(needle)}) > 0"

    def json_field(self, element: str, key: str) -> str:
        """A value of a JSON object a module built, as JSON."""
        return f"({element})->'{key}'"

    def maybe(self, value: str, made: str) -> str:
        """`made` (JSON), or null where `value` is null."""
        return f"CASE WHEN {value} IS NULL THEN NULL ELSE {made} END"

    def objects(self, value: str, build, order: str, alias: str) -> str:
        """The JSON array of `build(element)` over a JSON array `value`, by `order` key."""
        source = f"FROM json_array_elements({value}) AS {alias}(x)"
        return self.array(build(f"{alias}.x"), source, f"{alias}.x->>'{order}'")

    def json(self, expr: str) -> str:
        """A JSON value read from a CTE's column, as JSON."""
        return expr

    def stored(self, expr: str, empty: str) -> str:
        """A stored JSON column's value as JSON; `empty` (`[]`, `{}`) where it is null."""
        return f"coalesce({expr}, '{empty}'::jsonb)"

    def is_empty(self, expr: str) -> str:
        """Whether a stored JSON object is null or `{}`."""
        return f"coalesce({expr}, '{{}}'::jsonb) = '{{}}'::jsonb"

    def scalar(self, expr: str, key: str) -> str:
        """A key of a stored JSON object, as text."""
        return f"({expr}->>'{key}')"

    def gids(self, type_name: str, expr: str, alias: str) -> str:
        """The global ids of a stored JSON array of primary keys, in order."""
        source = f"FROM jsonb_array_elements_text({self.stored(expr, '[]')}) "
        source += f"WITH ORDINALITY AS {alias}(v, i)"
        return self.array(self.gid(type_name, f"{alias}.v"), source, f"{alias}.i")


class Sqlite:
    name = "sqlite"

    def obj(self, pairs: list[tuple[str, str]]) -> str:
        return "json_object(" + ", ".join(f"'{k}', {v}" for k, v in pairs) + ")"

    def sub(self, select: str) -> str:
        return f"json(({select}))"

    def array(self, element: str, source: str, order: str) -> str:
        rows = f"SELECT {element} AS v {source} ORDER BY {order}"
        return f"json((SELECT json_group_array(json(v)) FROM ({rows})))"

    def listed(self, values: list[str]) -> str:
        return "json_array(" + ", ".join(values) + ")"

    def b64url(self, expr: str) -> str:
        return f"hub_b64url({expr})"  # core.database registers it on every connection

    def gid(self, type_name: str, expr: str) -> str:
        return self.b64url(f"'{type_name}:' || {expr}")

    def boolean(self, expr: str) -> str:
        truth = "json('true')"
        return f"CASE WHEN {expr} IS NULL THEN NULL WHEN {expr} THEN {truth} ELSE json('false') END"

    def ts(self, expr: str) -> str:
        fraction = (
            f"CASE WHEN length({expr}) > 19 AND substr({expr}, 21) <> '000000' "
            f"THEN substr({expr}, 20) ELSE '' END"
        )
        seconds = f"replace(substr({expr}, 1, 19), ' ', 'T')"
        return f"CASE WHEN {expr} IS NOT NULL THEN {seconds} || {fraction} || '+00:00' END"

    def date(self, expr: str) -> str:
        return f"substr({expr}, 1, 10)"

    def json_text(self, expr: str) -> str:
        return f"json_quote({expr})"

    def contact(self, column: str, key: str) -> str:
        if key == "primary":
            return self.boolean(f"json_extract({column}, '$.primary')")
        return f"json_extract({column}, '$.{key}')"

    def contacts(self, column: str, pick) -> str:
        return self.array(pick("e.value"), f"FROM json_each({column}) AS e", "e.key")

    def primary(self, column: str) -> str:
        return (
            f"(SELECT json_extract(e.value, '$.value') FROM json_each({column}) AS e "
            "WHERE json_extract(e.value, '$.primary') ORDER BY e.key LIMIT 1)"
        )

    def hidden_tabs(self, key: str, name: str, ids: str) -> str:
        return (
            f"SELECT hx.customer_id AS {key}, ',' || group_concat(h.value, ',') || ',' AS {name} "
            "FROM customer_folders hx JOIN folders hf ON hf.id = hx.folder_id, "
            f"json_each(hf.hidden_tabs) AS h WHERE hx.customer_id IN ({ids}) "
            "GROUP BY hx.customer_id"
        )

    def some_of(self, elements: list[tuple[str, str]], alias: str) -> str:
        rows = " UNION ALL ".join(
            f"SELECT {i} AS o, CASE WHEN {c} THEN {v} END AS v" for i, (c, v) in enumerate(elements)
        )
        return self.array(
            f"{alias}.v", f"FROM ({rows}) AS {alias} WHERE {alias}.v IS NOT NULL", f"{alias}.o"
        )

    def contains(self, text: str, needle: str) -> str:
        return f"instr({text}, {literal(needle)}) > 0"

    def json_field(self, element: str, key: str) -> str:
        return f"json({element} -> '$.{key}')"

    def maybe(self, value: str, made: str) -> str:
        return f"json(CASE WHEN {value} IS NULL THEN NULL ELSE {made} END)"

    def objects(self, value: str, build, order: str, alias: str) -> str:
        source = f"FROM json_each({value}) AS {alias}"
        return self.array(
            build(f"{alias}.value"), source, f"json_extract({alias}.value, '$.{order}')"
        )

    def json(self, expr: str) -> str:
        return f"json({expr})"

    def stored(self, expr: str, empty: str) -> str:
        return f"json(coalesce({expr}, '{empty}'))"

    def is_empty(self, expr: str) -> str:
        return f"coalesce(json({expr}), '{{}}') = '{{}}'"

    def scalar(self, expr: str, key: str) -> str:
        return f"json_extract({expr}, '$.{key}')"

    def gids(self, type_name: str, expr: str, alias: str) -> str:
        source = f"FROM json_each(coalesce({expr}, '[]')) AS {alias}"
        element = f"json_quote({self.gid(type_name, f'{alias}.value')})"
        return self.array(element, source, f"{alias}.key")


DIALECTS = {"postgresql": Postgres(), "sqlite": Sqlite()}
