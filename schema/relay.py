"""Relay building blocks: the `Node` interface and cursor connections over keyset pages."""

import asyncio
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Generic, TypeVar

import strawberry
from strawberry import Private

from core.customer_counts import Count
from core.pagination import Page
from schema.ids import to_global_id

T = TypeVar("T")


@strawberry.interface(description="An object with a global ID, fetchable with `node(id:)`.")
class Node:
    pk: Private[int]

    @strawberry.field(description="Opaque global ID.")
    def id(self) -> strawberry.ID:
        return to_global_id(type(self).__name__, self.pk)


@strawberry.type(description="Where a page sits in the whole list.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(description="One item of a connection with the cursor that points at it.")
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type(description="A page of a list, at most 100 items.")
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    count: Private[Callable[[], Awaitable[Count]]]

    @strawberry.field(description="The items of this page (the nodes of `edges`).")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]

    @strawberry.field(
        description="How many items the whole list holds across all pages. "
        "Computed only when selected: leave it out of queries that do not show it."
    )
    async def total_count(self) -> int:
        return (await self.count()).value

    @strawberry.field(
        description="Whether `totalCount` is exact. False: the count stopped at the cap "
        "(`COUNT_CAP`, 100,000 by default) and `totalCount` is a lower bound, the cap. "
        "Computed with `totalCount`, only when selected."
    )
    async def total_count_is_exact(self) -> bool:
        return (await self.count()).exact


def _once(count: Callable[[], Awaitable[int | Count]]) -> Callable[[], Awaitable[Count]]:
    """Both count fields of a connection share one count (they resolve concurrently)."""
    lock, done = asyncio.Lock(), []

    async def counted() -> Count:
        async with lock:
            if not done:
                value = await count()
                done.append(value if isinstance(value, Count) else Count(value))
        return done[0]

    return counted


def connection(page: Page, nodes: list, count: Callable[[], Awaitable[int | Count]]) -> Connection:
    edges = [Edge(cursor=c, node=node) for node, c in zip(nodes, page.cursors, strict=True)]
    info = PageInfo(
        has_next_page=page.has_next,
        has_previous_page=page.has_previous,
        start_cursor=page.cursors[0] if page.cursors else None,
        end_cursor=page.cursors[-1] if page.cursors else None,
    )
    return Connection(edges=edges, page_info=info, count=_once(count))


@strawberry.enum(description="Sort direction.")
class OrderDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"
