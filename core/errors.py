"""Domain errors. Services raise them; the GraphQL layer turns `InvalidInput` into
`userErrors` and the others into GraphQL errors with a code."""

from dataclasses import dataclass


def camel(key: str) -> str:
    """A core key as the API names it (`lead_source` → `leadSource`): in problem paths and
    export columns."""
    head, *rest = key.split("_")
    return head + "".join(part.title() for part in rest)


@dataclass(frozen=True)
class Problem:
    """One thing the user can fix. `field` is the input path (`["input", "emails", "1"]`)."""

    field: tuple[str, ...]
    message: str
    code: str


class DomainError(Exception):
    code = "INTERNAL"


class InvalidInput(DomainError):
    """Validation or conflict the user can fix; nothing of the operation was written."""

    code = "BAD_USER_INPUT"

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems

    @classmethod
    def one(cls, field: str | tuple[str, ...], message: str, code: str = "INVALID"):
        path = (field,) if isinstance(field, str) else tuple(field)
        return cls([Problem(path, message, code)])


class NotFound(DomainError):
    """Unknown, another tenant's, or invisible to this worker: all look the same."""

    code = "NOT_FOUND"

    def __init__(self, what: str, ref: object = None):
        super().__init__(f"{what} not found" + (f": {ref}" if ref is not None else ""))
        self.what = what
        self.ref = ref


class Forbidden(DomainError):
    code = "FORBIDDEN"

    def __init__(self, message: str = "You are not allowed to do this."):
        super().__init__(message)


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"


class Unavailable(DomainError):
    """The database could not serve this request now (no connection within the wait, the
    writer's queue too long, a connection lost): nothing was written, retrying may work."""

    code = "SERVICE_UNAVAILABLE"


# Unique indexes that a write can still hit after its own check passed (two requests checked
# at once, each before the other's commit): the index and the input member it stands for.
UNIQUE_MEMBERS: dict[str, tuple[str, ...]] = {
    "uq_customers_tenant_id_external_id": ("input", "externalId"),
    "uq_custom_field_definitions_tenant_id_key": ("input", "key"),
    "uq_customer_import_mappings_tenant_id_name": ("input", "saveAs"),
    "uq_segments_tenant_id_name": ("input", "name"),
    "uq_tags_tenant_id_name": ("input", "name"),
    "uq_workers_tenant_id_email": ("input", "email"),
}


def taken(error: Exception) -> InvalidInput | None:
    """A unique violation of `UNIQUE_MEMBERS` as the TAKEN problem the check gives (asyncpg
    names the index; SQLite's writers take turns, so its checks never race)."""
    cause = getattr(error, "orig", None)
    for candidate in (cause, getattr(cause, "__cause__", None)):
        name = getattr(candidate, "constraint_name", None)
        if name in UNIQUE_MEMBERS:
            return InvalidInput.one(
                UNIQUE_MEMBERS[name], "Taken by another change a moment ago.", "TAKEN"
            )
    return None
