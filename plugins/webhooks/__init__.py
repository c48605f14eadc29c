"""Outgoing webhooks: a tenant's own systems hear of its events (a customer changed, a ticket
opened, a deal won) as signed HTTP POSTs to endpoints it registers, instead of polling the API.

Deliveries run on the durable job runner after the event's write committed (a rolled-back
write sends nothing), are recorded (the delivery log: status, attempts, response codes,
durations, errors), retried with backoff over about a day, go out in event order per endpoint
and customer, and can be replayed. An endpoint whose deliveries keep failing is switched off.
The README's "Webhooks" section documents the request and how to verify its signature."""
