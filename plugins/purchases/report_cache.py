"""The report's figures, kept a minute per viewer and arguments: at a million customers one
pass over the tenant's figures takes a second or more, and a dashboard asks again and again.
The purchases module's own writes in this process drop the tenant's entries at once (a
test, a demo or a single process sees its change); another process's answer may be up to
`SECONDS` old, which `PurchaseReport.generatedAt` tells."""

import time
from collections import OrderedDict
from datetime import datetime

from core.models import utcnow

SECONDS = 60.0
LIMIT = 256  # entries, least recently used dropped first

_kept: OrderedDict[tuple, tuple[float, datetime, dict]] = OrderedDict()


def get(key: tuple) -> tuple[datetime, dict] | None:
    found = _kept.get(key)
    if found is None or found[0] < time.monotonic():
        _kept.pop(key, None)
        return None
    _kept.move_to_end(key)
    return found[1], found[2]


def put(key: tuple, figures: dict) -> datetime:
    made = utcnow()
    _kept[key] = (time.monotonic() + SECONDS, made, figures)
    _kept.move_to_end(key)
    while len(_kept) > LIMIT:
        _kept.popitem(last=False)
    return made


def forget(tenant_id: int) -> None:
    """After a write of the tenant's figures (the key starts with the tenant's id)."""
    for key in [k for k in _kept if k[0] == tenant_id]:
        _kept.pop(key, None)
