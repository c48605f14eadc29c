"""The Communications tab: one history per customer of emails, SMS, WhatsApp messages and
calls, both ways, with delivery status and who has read what. Sending goes through a
provider (`providers.py`) after the write commits, in a job, so a slow or failing mail
server never holds a request or undoes it; inbound messages arrive through a signed HTTP
hook (`inbound.py`). Other modules send through the `message_request` contract
(docs/plugins.md) without importing this one.

Who sees which messages (`queries.seen_by`), on top of the customer visibility rule and
`communications.view`: with `communications.view_all` (owner, admin, manager by default)
all of a customer's messages; without it, the messages you sent, and the inbound messages
of the customers you have written to (you take part in that customer's conversation once
you have sent it a message, on any channel; from then on you see what it writes, earlier
messages too). Other workers' outbound messages and automated ones (no author) stay hidden,
as do a customer's inbound messages until you write to it. One rule, per customer rather
than per address, because addresses are matched loosely (`core/identities.py`) and a
customer replies from whichever it likes; one probe of the `(tenant_id, author_id,
customer_id)` index per message. It holds wherever a message shows: the history
(`all`, its `totalCount` and filters), `node(id:)`, the unread count and the tab's badge
(also compiled, and pushed live), `markCommunicationsRead`, and the customer export. Events
(`communication.*` on the timeline, `customerEvents`, webhooks) say that a message
happened, with its id, channel and status, never its content."""
