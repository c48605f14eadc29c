"""The subscriptions module: recurring billing. Plans (a price per WEEK, MONTH or YEAR
interval), customers' subscriptions to them (trial, pause, resume, cancel now or at the
period's end), and an hourly billing run on the job runner (`core/schedules.py`) that bills
every period once: a `subscription_periods` row and a `subscription.period_billed` event
whose `invoice_request` the payments module turns into an invoice (`billing.py` has the
contract). The module never imports payments: it only emits the event.

Events, on the customer, each with `subscriptionId` (a worker's move adds `status`):
`subscription.created` {planId, startDate, title}, `subscription.paused`,
`subscription.resumed` {newCycle | cancellationUndone}, `subscription.cancelled`
{atPeriodEnd, endsOn?}, `subscription.ended` (by the billing run: a trial or period ran out
after a cancellation at its end), and `subscription.period_billed` {periodId, periodStart,
periodEnd (the next period's first day), quantity, unitAmount, amount, currency, title,
invoice_request}."""
