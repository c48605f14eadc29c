"""Opaque global IDs (`base64("Customer:42")`). A malformed ID, or one of another type,
decodes to an id no row has, so it behaves exactly like an unknown one."""

import base64
import binascii

import strawberry

MISSING = -1
MAX_PK = 2**31 - 1


def to_global_id(type_name: str, pk: int) -> strawberry.ID:
    raw = f"{type_name}:{pk}".encode()
    return strawberry.ID(base64.urlsafe_b64encode(raw).decode().rstrip("="))


def parse_global_id(value: str) -> tuple[str, int] | None:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        type_name, pk = raw.split(":", 1)
        number = int(pk)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return (type_name, number) if 0 <= number <= MAX_PK else None


def from_global_id(value: str, type_name: str) -> int:
    parsed = parse_global_id(value)
    if parsed is None or parsed[0] != type_name or parsed[1] < 0:
        return MISSING
    return parsed[1]


def from_global_ids(values: list[str] | None, type_name: str) -> list[int]:
    return [from_global_id(v, type_name) for v in values or []]
