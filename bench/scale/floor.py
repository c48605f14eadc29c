"""The raw floor F: what a list page costs when one hand-written SQL statement builds the
page's whole JSON answer (the bench's list page: 50 customers with status, tags, folders and
their statuses, workers, parent, sub-customer count, cursors, `pageInfo`) and a bare ASGI
app passes the database's bytes through (no GraphQL, no ORM, no parsing of the answer).
So F is the database's work plus transport, the least any server could spend on the page.

Each filter is written the way a person tuning SQL would: the deep page's cursor as a row
comparison `(updated_at, id) < (…)` (an index condition), folders and tags as `EXISTS`, the
restricted agent's visibility as the app writes it (assigned `OR` in a folder it opens).
On PostgreSQL ids are base64 Relay ids as the API's; SQLite 3.40 has no base64, so its
floor sends "Customer:42" ids and cursors as plain JSON text (the same bytes, give or take).

    python -m bench.scale.floor SPEC.json PORT   (started by the bench: `FloorServer`)"""

import json
import os
import sys
from pathlib import Path

from bench.load import Process

ROOT = Path(__file__).resolve().parents[2]


# The page's rows and their order, the same on both databases (the JSON around them is not).
_PAGE = """
    WITH page AS (
      SELECT c.id, c.name, c.kind, c.avatar_url, c.phones, c.emails, c.company, c.blocked,
             c.follow_up_at, c.updated_at, c.status_id, c.parent_id
      FROM customers c WHERE {where}
      ORDER BY c.updated_at DESC, c.id DESC LIMIT 51),
    n AS (SELECT page.*, row_number() OVER (ORDER BY updated_at DESC, id DESC) AS rn FROM page),"""


class _Params:
    """Numbered bind parameters, as `$n` (asyncpg) or `?n` (sqlite3)."""

    def __init__(self, postgres: bool):
        self.postgres, self.values = postgres, []

    def __call__(self, value, cast: str = "") -> str:
        self.values.append(value)
        return f"${len(self.values)}{cast}" if self.postgres else f"?{len(self.values)}"


def page_sql(dialect: str, tenant_id: int, spec: dict) -> tuple[str, list]:
    """(statement, parameters) answering the list page with `spec`'s filter: any of after
    (updated_at, id), folder, tag, status, worker + folders (the agent)."""
    pg = dialect == "postgresql"
    p = _Params(pg)
    tenant = p(tenant_id)
    where = [f"c.tenant_id = {tenant}"]
    if "after" in spec:
        moment, row_id = spec["after"]
        moment = p(moment, "::text::timestamptz") if pg else p(moment)
        where.append(f"(c.updated_at, c.id) < ({moment}, {p(row_id)})")
    if "folder" in spec:
        where.append(
            "EXISTS (SELECT 1 FROM customer_folders x WHERE x.customer_id = c.id "
            f"AND x.folder_id = {p(spec['folder'])})"
        )
    if "tag" in spec:
        where.append(
            "EXISTS (SELECT 1 FROM customer_tags x WHERE x.customer_id = c.id "
            f"AND x.tag_id = {p(spec['tag'])})"
        )
    if "status" in spec:
        where.append(f"c.status_id = {p(spec['status'])}")
    if "worker" in spec:
        folders = ", ".join(str(int(f)) for f in spec["folders"]) or "NULL"
        where.append(
            "(EXISTS (SELECT 1 FROM customer_workers x WHERE x.customer_id = c.id "
            f"AND x.worker_id = {p(spec['worker'])}) OR EXISTS (SELECT 1 FROM customer_folders y "
            f"WHERE y.customer_id = c.id AND y.folder_id IN ({folders})))"
        )
    build = _postgres if pg else _sqlite
    return build(" AND ".join(where), tenant), p.values


def _postgres(where: str, tenant: str) -> str:
    def b64(expr: str) -> str:
        return (
            f"rtrim(translate(encode(convert_to({expr}, 'UTF8'), 'base64'), E'+/\\n', '-_'), '=')"
        )

    def gid(kind: str, expr: str) -> str:
        return b64(f"'{kind}:' || {expr}")

    def ts(expr: str) -> str:
        return f"""to_char({expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')"""

    def primary(column: str) -> str:
        return (
            f"(SELECT x->>'value' FROM jsonb_array_elements(n.{column}) x "
            "WHERE (x->>'primary')::boolean LIMIT 1)"
        )

    cursor = b64(
        f"""'["updated_at:desc",{{"t":"' || {ts("n.updated_at")} || '"}},' """
        "|| n.id || ']'"
    )
    status = "json_build_object('id', {}, 'name', s.name, 'color', s.color{})".format
    node = f"""json_build_object(
      'id', {gid("Customer", "n.id")}, 'name', n.name, 'kind', n.kind,
      'avatarUrl', n.avatar_url, 'primaryPhone', {primary("phones")},
      'primaryEmail', {primary("emails")}, 'company', n.company, 'blocked', n.blocked,
      'followUpAt', {ts("n.follow_up_at")}, 'updatedAt', {ts("n.updated_at")},
      'status', (SELECT {status(gid("Status", "s.id"), ", 'category', s.category")}
                 FROM statuses s WHERE s.id = n.status_id),
      'tags', (SELECT coalesce(json_agg(json_build_object('id', {gid("Tag", "t.id")},
                 'name', t.name, 'color', t.color) ORDER BY t.position, t.name), '[]')
               FROM customer_tags ct JOIN tags t ON t.id = ct.tag_id
               WHERE ct.customer_id = n.id),
      'folders', (SELECT coalesce(json_agg(json_build_object(
                   'folder', json_build_object('id', {gid("Folder", "f.id")}, 'name', f.name,
                                               'color', f.color),
                   'status', CASE WHEN s.id IS NOT NULL
                             THEN {status(gid("Status", "s.id"), "")} END)
                   ORDER BY f.position, f.id), '[]')
                  FROM customer_folders cf JOIN folders f ON f.id = cf.folder_id
                  LEFT JOIN statuses s ON s.id = cf.status_id WHERE cf.customer_id = n.id),
      'workers', (SELECT coalesce(json_agg(json_build_object('id', {gid("Worker", "w.id")},
                   'name', w.name, 'avatarUrl', w.avatar_url, 'atWork', w.at_work)
                   ORDER BY w.position, w.name), '[]')
                  FROM customer_workers cw JOIN workers w ON w.id = cw.worker_id
                  WHERE cw.customer_id = n.id),
      'parent', (SELECT json_build_object('id', {gid("Customer", "p.id")}, 'name', p.name)
                 FROM customers p WHERE p.id = n.parent_id),
      'subCustomerCount', (SELECT count(*) FROM customers s
                           WHERE s.tenant_id = {tenant} AND s.parent_id = n.id))"""
    return (
        _PAGE.format(where=where)
        + f"""
    e AS (SELECT rn, {cursor} AS cursor, {node} AS node FROM n WHERE rn <= 50)
    SELECT json_build_object('data', json_build_object('customers', json_build_object(
      'pageInfo', json_build_object('hasNextPage', (SELECT count(*) FROM page) > 50,
                                    'endCursor', (SELECT cursor FROM e ORDER BY rn DESC LIMIT 1)),
      'edges', (SELECT coalesce(json_agg(json_build_object('cursor', cursor, 'node', node)
                ORDER BY rn), '[]') FROM e))))::text"""
    )


def _sqlite(where: str, tenant: str) -> str:
    def ts(expr: str) -> str:
        return f"(replace({expr}, ' ', 'T') || '+00:00')"

    def boolean(expr: str) -> str:
        return f"(CASE WHEN {expr} THEN json('true') ELSE json('false') END)"

    def array(select: str, order: str) -> str:
        return f"json((SELECT json_group_array(json(v)) FROM ({select} ORDER BY {order})))"

    def primary(column: str) -> str:
        return (
            f"(SELECT json_extract(value, '$.value') FROM json_each(n.{column}) "
            "WHERE json_extract(value, '$.primary') LIMIT 1)"
        )

    node = f"""json_object(
      'id', 'Customer:' || n.id, 'name', n.name, 'kind', n.kind, 'avatarUrl', n.avatar_url,
      'primaryPhone', {primary("phones")}, 'primaryEmail', {primary("emails")},
      'company', n.company, 'blocked', {boolean("n.blocked")},
      'followUpAt', {ts("n.follow_up_at")}, 'updatedAt', {ts("n.updated_at")},
      'status', json((SELECT json_object('id', 'Status:' || s.id, 'name', s.name,
                        'color', s.color, 'category', s.category)
                      FROM statuses s WHERE s.id = n.status_id)),
      'tags', {
        array(
            '''SELECT json_object('id', 'Tag:' || t.id, 'name', t.name,
                 'color', t.color) AS v FROM customer_tags ct JOIN tags t ON t.id = ct.tag_id
                 WHERE ct.customer_id = n.id''',
            "t.position, t.name",
        )
    },
      'folders', {
        array(
            '''SELECT json_object('folder', json_object('id', 'Folder:' || f.id,
                    'name', f.name, 'color', f.color), 'status', CASE WHEN s.id IS NOT NULL
                    THEN json_object('id', 'Status:' || s.id, 'name', s.name, 'color', s.color)
                    END) AS v
                  FROM customer_folders cf JOIN folders f ON f.id = cf.folder_id
                  LEFT JOIN statuses s ON s.id = cf.status_id WHERE cf.customer_id = n.id''',
            "f.position, f.id",
        )
    },
      'workers', {
        array(
            f'''SELECT json_object('id', 'Worker:' || w.id, 'name', w.name,
                    'avatarUrl', w.avatar_url, 'atWork', {boolean("w.at_work")}) AS v
                  FROM customer_workers cw JOIN workers w ON w.id = cw.worker_id
                  WHERE cw.customer_id = n.id''',
            "w.position, w.name",
        )
    },
      'parent', json((SELECT json_object('id', 'Customer:' || p.id, 'name', p.name)
                      FROM customers p WHERE p.id = n.parent_id)),
      'subCustomerCount', (SELECT count(*) FROM customers s
                           WHERE s.tenant_id = {tenant} AND s.parent_id = n.id))"""
    return (
        _PAGE.format(where=where)
        + f"""
    e AS (SELECT rn, '["updated_at:desc",{{"t":"' || {ts("n.updated_at")} || '"}},' || n.id
                 || ']' AS cursor, {node} AS node FROM n WHERE rn <= 50)
    SELECT json_object('data', json_object('customers', json_object(
      'pageInfo', json_object('hasNextPage', {boolean("(SELECT count(*) FROM page) > 50")},
                              'endCursor', (SELECT cursor FROM e ORDER BY rn DESC LIMIT 1)),
      'edges', json((SELECT json_group_array(json_object('cursor', cursor, 'node', json(node)))
                     FROM (SELECT * FROM e ORDER BY rn))))))"""
    )


class FloorServer(Process):
    """This module as a process of its own (`python -m bench.scale.floor`), serving the
    statements of `specs` ({name: [sql, params]}) at POST /floor with {"scenario": name}."""

    def __init__(self, url: str, specs: dict, directory: Path, port: int):
        self.port, self.log = port, directory / "floor.log"
        spec_file = directory / "floor-spec.json"
        spec_file.write_text(json.dumps({"url": url, "statements": specs}, default=str))
        command = [sys.executable, "-m", "bench.scale.floor", str(spec_file), str(port)]
        self._launch(command, ROOT, {**os.environ, "PYTHONPATH": str(ROOT)})


if __name__ == "__main__":
    from bench.scale.floor_app import serve

    serve(Path(sys.argv[1]), int(sys.argv[2]))
