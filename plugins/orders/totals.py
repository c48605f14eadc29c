"""Order arithmetic, in integer minor units, the one place the rounding rule lives.

The rule (what `tests/test_orders.py` pins down):

- a line's gross is quantity x unit price;
- its discount is gross x discount rate / 10,000, rounded half up to a minor unit, per line;
- its net is gross - discount;
- tax is computed per tax rate on the sum of the nets at that rate (not per line), rounded
  half up once per rate, so ten lines at 19 % never round ten times;
- subtotal = Σ gross, discount = Σ line discounts, tax = Σ per-rate taxes,
  total = subtotal - discount + tax.

Payments' invoice-request handler applies the same per-rate rule to the lines orders sends
(each line's net as its amount), so the invoice's total is the order's total to the cent."""

from dataclasses import dataclass

BASIS = 10_000  # basis points in 100 %


def share(amount: int, rate: int) -> int:
    """amount x rate / 10,000 rounded half up (amounts and rates are never negative)."""
    return (amount * rate * 2 + BASIS) // (2 * BASIS)


@dataclass(frozen=True)
class Line:
    quantity: int
    unit_amount: int
    discount_rate: int
    tax_rate: int

    @property
    def gross(self) -> int:
        return self.quantity * self.unit_amount

    @property
    def discount(self) -> int:
        return share(self.gross, self.discount_rate)

    @property
    def net(self) -> int:
        return self.gross - self.discount


@dataclass(frozen=True)
class Totals:
    subtotal: int
    discount: int
    tax: int
    total: int


def taxes(lines: list[Line]) -> dict[int, int]:
    """rate -> tax on the nets at that rate, for each rate above zero."""
    nets: dict[int, int] = {}
    for line in lines:
        nets[line.tax_rate] = nets.get(line.tax_rate, 0) + line.net
    return {rate: share(net, rate) for rate, net in sorted(nets.items()) if rate > 0}


def totals(lines: list[Line]) -> Totals:
    subtotal = sum(line.gross for line in lines)
    discount = sum(line.discount for line in lines)
    tax = sum(taxes(lines).values())
    return Totals(subtotal, discount, tax, subtotal - discount + tax)
