"""What every mutation shares: one transaction, user-fixable problems as `userErrors`,
and fresh loaders afterwards so the payload shows what was written."""

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import events
from core.auth import Principal
from core.errors import InvalidInput, NotFound, taken
from schema.context import Info

T = TypeVar("T")


@strawberry.type(description="Something in the input the user can fix; nothing was written.")
class UserError:
    field: list[str] | None = strawberry.field(
        description='Path to the input member, e.g. `["input", "customFields", "2"]`.'
    )
    message: str
    code: str = strawberry.field(
        description="Stable, for programs: REQUIRED, INVALID, TOO_LONG, NOT_FOUND, TAKEN, "
        "VERSION_CONFLICT, INVALID_TRANSITION… The `errorCodes` query lists every code with "
        "its meaning, the enabled modules' included."
    )


@strawberry.type(description="The result of a delete.")
class DeletePayload:
    deleted_id: strawberry.ID | None = strawberry.field(
        description="Null when nothing was deleted."
    )
    user_errors: list[UserError]


async def mutate(
    info: Info, work: Callable[[AsyncSession, Principal], Awaitable[T]], target: str = "id"
) -> tuple[T | None, list[UserError]]:
    """Run `work` in one transaction. A missing target (`input.<target>`) is a user error like
    any other unknown id: another tenant's object looks exactly like one that never existed."""
    ctx = info.context
    principal = ctx.principal
    try:
        async with ctx.read.transaction(principal.tenant_id) as session:
            events.bind(session, ctx.plugins, principal.modules)
            result = await work(session, principal)
            records = session.info["records"]
    except IntegrityError as exc:
        if (problem := taken(exc)) is None:
            raise
        return None, [
            UserError(field=list(p.field), message=p.message, code=p.code) for p in problem.problems
        ]
    except InvalidInput as exc:
        return None, [
            UserError(field=list(p.field), message=p.message, code=p.code) for p in exc.problems
        ]
    except NotFound as exc:
        return None, [UserError(field=["input", target], message=str(exc) + ".", code="NOT_FOUND")]
    ctx.forget_loaded()
    if ctx.outbox is not None and records:
        ctx.outbox.after_commit(records)
    return result, []


def as_row(obj: Any) -> dict:
    """An ORM object as the plain row the types are built from."""
    return {c.key: getattr(obj, c.key) for c in obj.__table__.columns}


def payload(node_type: type, field: str, list_name: str | None = None) -> type:
    """`<Type>Payload { <field>: Type, userErrors }`, or with `list_name` the list form
    `<list_name> { <field>s: [Type!]!, userErrors }` that reorder mutations return."""
    if list_name:
        name, annotations = list_name, {field: list[node_type]}
        text = f"The {field} in their new order, or why nothing changed."
    else:
        name, annotations = f"{node_type.__name__}Payload", {field: node_type | None}
        text = f"The {field.replace('_', ' ')} as written, or why nothing was written."
    annotations["user_errors"] = list[UserError]
    return strawberry.type(type(name, (), {"__annotations__": annotations}), description=text)


async def deleted(info: Info, global_id: strawberry.ID, work) -> DeletePayload:
    result, errors = await mutate(info, work)
    return DeletePayload(deleted_id=global_id if result else None, user_errors=errors)


async def reordered(info: Info, payload_type: type, node_type: type, work, target: str = "ids"):
    """`<Plural>Payload` of a reorder mutation: the whole list in its new order."""
    result, errors = await mutate(info, work, target)
    (field,) = (name for name in payload_type.__annotations__ if name != "user_errors")
    nodes = [node_type.from_row(as_row(r)) for r in result or []]
    return payload_type(**{field: nodes, "user_errors": errors})


def input_named(base: type, name: str) -> type:
    """`base`'s members under this mutation's own input name (`DeleteTagInput`), so every
    mutation `fooBar` takes a `FooBarInput`."""
    definition = base.__strawberry_definition__
    return strawberry.input(type(name, (base,), {}), description=definition.description)
