"""Balance entries: another module's event puts an amount on the customer's balance (the
contract is in `plugins/payments/__init__.py`). Runs in the event handler's own transaction,
after the emitting write committed.

One entry per (tenant, source), however often or concurrently the event arrives: the insert
is an insert-or-ignore on the unique `(tenant_id, source)` index, so a replay finds the row
and adds nothing. Nothing else is read or locked: an entry changes no other row, and the
balance is summed from the entries when it is read."""

import logging

from sqlalchemy import select

from core import records
from core.events import Event
from core.models import Customer, utcnow
from plugins.payments.models import BalanceEntry
from schema.money import CURRENCY_RE, MAX_AMOUNT

log = logging.getLogger(__name__)


class Rejected(ValueError):
    """An entry this module cannot record; logged, never retried."""


def checked(entry) -> tuple[str, int, str]:
    """(source, amount, currency) of a well-formed entry, else Rejected."""
    if not isinstance(entry, dict):
        raise Rejected("balance_entry must be an object")
    source, amount, currency = entry.get("source"), entry.get("amount"), entry.get("currency")
    if not isinstance(source, str) or not source.strip() or len(source) > 200:
        raise Rejected("source must be text of 1 to 200 characters")
    if type(amount) is not int or amount == 0 or abs(amount) > MAX_AMOUNT:
        raise Rejected("amount must be a non-zero integer of at most 10^12 (minor units)")
    if not isinstance(currency, str) or not CURRENCY_RE.match(currency):
        raise Rejected("currency must be an ISO-4217 code")
    return source, amount, currency


async def handle(session, event: Event) -> None:
    entry = (event.data or {}).get("balance_entry")
    if entry is None or event.customer_id is None:
        return
    try:
        source, amount, currency = checked(entry)
    except Rejected as exc:
        log.warning("balance entry of event %s skipped: %s", event.id, exc)
        return
    customer = await session.scalar(
        select(Customer.id).where(
            Customer.tenant_id == event.tenant_id, Customer.id == event.customer_id
        )
    )
    if customer is None:  # erased since: nothing to owe
        return
    await session.execute(
        records.upsert(session, BalanceEntry.__table__)
        .values(
            tenant_id=event.tenant_id,
            customer_id=customer,
            source=source,
            amount=amount,
            currency=currency,
            event_name=event.name[:100],
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "source"])
    )
