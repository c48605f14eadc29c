"""Loyalty: points earned on payments (through payments' events, never its code), birthday
and anniversary bonuses, tiers on lifetime points, rewards redeemed against the balance, and
an append-only ledger per customer whose account row keeps the running totals."""
