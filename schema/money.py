"""Money is never a float: integer minor units and an ISO-4217 currency code."""

import re

import strawberry

from core.errors import Problem

CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
MAX_AMOUNT = 10**12


@strawberry.type(description="An amount in minor units (cents) of a currency.")
class Money:
    amount: int = strawberry.field(description="Minor units: 1999 is 19.99 in EUR.")
    currency: str = strawberry.field(description="ISO-4217 code, e.g. `EUR`.")


@strawberry.input(description="An amount in minor units (cents) of a currency.")
class MoneyInput:
    amount: int
    currency: str


def check_money(value: MoneyInput, path: tuple[str, ...], problems: list[Problem], positive=True):
    """(amount, currency) of a valid input; what is wrong goes to `problems`."""
    currency = value.currency.strip().upper()
    if not CURRENCY_RE.match(currency):
        problems.append(Problem((*path, "currency"), "Use an ISO-4217 code like EUR.", "INVALID"))
    low = 1 if positive else -MAX_AMOUNT
    if not low <= value.amount <= MAX_AMOUNT:
        text = "a positive amount" if positive else "an amount"
        problems.append(Problem((*path, "amount"), f"Give {text} in minor units.", "INVALID"))
    return value.amount, currency
