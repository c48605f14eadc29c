"""The payments module: charges, invoices, payments, refunds and balance.

Module contract: invoice requests. Any module may have payments invoice a customer without
importing it: put an `invoice_request` object in the data of one of its own events whose
customer is the one to invoice:

    {"source": "orders:42",              # required, unique per tenant, at most 200
     "currency": "EUR",                  # ISO-4217
     "lines": [{"description": "Widget", "quantity": 2, "unitAmount": 1250,
                "taxRate": 1900}],       # taxRate optional, basis points (1900 = 19 %)
     "issue": true,                      # optional: issue it (OPEN) at once, else a DRAFT
     "dueDate": "2027-01-31",            # optional
     "note": "For Q-0001."}              # optional

`hub_handle_event` (payments on for the tenant) makes one invoice per (tenant, source): the
unique index on `invoices.source` and an insert-or-ignore make a replayed or concurrently
delivered event a no-op. Invoice lines carry no tax of their own, so the taxed lines are
followed by one "Tax <rate> %" line per rate: the sum of quantity x unitAmount of the lines
at that rate x rate / 10,000, rounded half up once per rate. A request that is malformed,
worth nothing, or for a customer that is gone is logged and skipped (the emitting write has
committed already; nothing to refuse). An issued invoice's `invoice.issued` carries the
request's `source`, so the requesting module can remember the invoice's global id. With
payments off nothing happens: the event is only an event.

Module contract: balance entries. Any module may put an amount on a customer's balance
without importing payments: put a `balance_entry` object in the data of one of its own
events whose customer is the one concerned:

    {"source": "payouts:17",             # required, unique per tenant, at most 200
     "amount": 2500,                     # integer minor units, not 0, |amount| <= 10^12
     "currency": "EUR"}                  # ISO-4217

Direction: the balance is what the customer owes, so a positive entry raises it (money the
business paid out to the customer: a payout SENT) and a negative one lowers it (the same
payout coming back: FAILED after SENT, sent as its own entry with its own source, e.g.
"payouts:17:failed"). `hub_handle_event` (payments on for the tenant) records one entry per
(tenant, source): an insert-or-ignore on the unique `payment_balance_entries(tenant_id,
source)` index (`payments_0003`) makes a replayed or concurrently delivered event a no-op.
`CustomerPayments.balance` adds the entries' sum per currency; `totalPaid`,
`totalRefunded` and `lifetimeValue` do not change (an entry is not a payment nor a refund of
one). Entries move with their customer in a merge and are in the customer's export. A
malformed entry, or one for a customer that is gone, is logged and skipped. With payments off
nothing is recorded and nothing is replayed when it is switched on later."""
