"""The search condition of the customer list. A substring search has two good plans, and
which is good depends on how many rows a page must pass over. A selective term is found
through the trigram index (FTS5 on SQLite, pg_trgm on PostgreSQL) and its few rows sorted;
a common one ("mar", one customer in seven) is a filter on the walk down the list's ordered
index, which fills a page within a few hundred rows, where fetching and sorting its 146,000
matches took seconds. Between the two, a term with thousands of matches may still be rare
among the rows a worker may see or a filter keeps: its walk reads most of the tenant (an
agent's "7553": 1 s), and the candidates are the cheap side again.

Hence, with `cap` the `search_candidates` setting: at most `cap + 1` matches are asked of
the trigram index, and fewer make the condition `id IN` them; otherwise the newest
`SAMPLE * cap` rows of the tenant, tested with everything the page asks, tell whether its
walk stays within `BUDGET * cap` rows; if not, up to that many matches are asked of the
index. Every outcome is a condition on `customers`, so the list stays one ordered,
keyset-paged query with the visibility rule and the other filters, and pages taking
different plans still meet without a row missing or repeated."""

from sqlalchemy import ColumnElement, Integer, and_, any_, bindparam, case, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY

from core.access import visible_customers
from core.auth import Principal
from core.contacts import search_term
from core.models import Customer as C
from core.rls import SEARCH_FUNCTION

CANDIDATES = 1000  # the default of the `search_candidates` setting
TRIGRAM = 3  # shorter terms have no trigram to look up: always the walk
SAMPLE, BUDGET = 2, 20  # times the cap: rows sampled, rows a page's walk may read


async def search_condition(
    conn,
    text_: str,
    principal: Principal,
    others: list,
    cap: int = CANDIDATES,
    page_size: int | None = None,
) -> ColumnElement[bool]:
    """Customers whose search text contains `text_`, for a list with the `others`
    conditions; `page_size` for a page (a count has no walk to budget)."""
    term = search_term(text_)
    contains = _contains(conn.dialect.name, term)
    if cap <= 0 or len(term) < TRIGRAM:
        return contains
    found = await _found_by_index(conn, term, principal.tenant_id, cap)
    if found is not None:
        return found
    if page_size is not None and await _walk_fits(
        conn, principal, [contains, *others], cap, page_size
    ):
        return contains
    found = await _found_by_index(conn, term, principal.tenant_id, BUDGET * cap)
    return contains if found is None else found


async def _walk_fits(conn, principal: Principal, wanted: list, cap: int, page_size: int) -> bool:
    """Whether a page's walk reads at most `BUDGET * cap` rows, judged by how many of the
    tenant's newest rows it would take (all of them when the tenant has fewer)."""
    hit = case((and_(*wanted, visible_customers(principal, walking=True)), 1), else_=0)
    sample = (
        select(hit.label("hit"))
        .where(C.tenant_id == principal.tenant_id)
        .order_by(C.created_at.desc(), C.id.desc())
        .limit(SAMPLE * cap)
        .subquery()
    )
    read, hits = (
        await conn.execute(select(func.count(), func.coalesce(func.sum(sample.c.hit), 0)))
    ).one()
    return read < SAMPLE * cap or hits * BUDGET >= (page_size + 1) * SAMPLE


def _contains(dialect: str, term: str) -> ColumnElement[bool]:
    """A function, not `LIKE`: the planner has no statistics for it and takes the term as
    common, which the lookups have just found it to be; `LIKE` can be estimated rare and a
    scan and sort of the tenant chosen over the walk (270 ms instead of 50 at 1M)."""
    position = func.strpos if dialect == "postgresql" else func.instr
    return position(C.search_text, term) > 0


def _escaped(term: str) -> str:
    return term.replace("/", "//").replace("%", "/%").replace("_", "/_")


async def _found_by_index(conn, term: str, tenant_id: int, limit: int):
    """`id IN` the term's matches in the trigram index when it has at most `limit` of the
    tenant's; else None. PostgreSQL: the ids, as one array parameter (the statement's text,
    and its prepared plan, do not change with their number). SQLite: the index lookup
    itself (no ids through Python, nor past SQLite's limit on parameters)."""
    if conn.dialect.name == "postgresql":
        lookup = text(f"SELECT * FROM {SEARCH_FUNCTION}(:pattern, :limit)").bindparams(
            pattern=f"%{_escaped(term)}%", limit=limit + 1
        )
        ids = list((await conn.execute(lookup)).scalars())
        if len(ids) > limit:
            return None
        return C.id == any_(bindparam("search_ids", ids, type_=ARRAY(Integer)))
    phrase = '"' + term.replace('"', '""') + '"'
    matches = (
        select(text("rowid"))
        .select_from(text("customer_search"))
        .where(text("customer_search MATCH :phrase").bindparams(phrase=phrase))
    )
    # CROSS JOIN keeps the index first: without statistics SQLite would rather read every
    # customer of the tenant and look each up in the index (7 s for 200,000).
    counted = text(
        "SELECT count(*) FROM (SELECT 1 FROM customer_search s CROSS JOIN customers c "
        "ON c.id = s.rowid WHERE customer_search MATCH :phrase AND c.tenant_id = :tenant "
        "LIMIT :limit)"
    ).bindparams(phrase=phrase, tenant=tenant_id, limit=limit + 1)
    if (await conn.execute(counted)).scalar_one() > limit:
        return None
    return C.id.in_(matches)
