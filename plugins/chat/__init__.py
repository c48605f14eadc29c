"""Chat: conversation threads between workers about one customer. A customer may have several
threads ("General" is made by the first message sent without one); messages mention workers
by id, and a mention reaches the notifications module through the `notify` contract
(docs/plugins.md) on `chat.message_posted`. Each worker's read marker per thread gives the
tab's badge: messages by others after it. `chatMessages(customerId)` follows a customer's
chat live, over the same fan-out as `customerEvents` (`schema/live.py`).

Threads are team-wide, on purpose: whoever may see the customer and holds `chat.view` reads
every thread of it (its messages, unread count, badge, `node(id:)`, the live stream, the
export), and there is no `chat.view_all`. Chat is the team's talk about the customer,
written for colleagues; unlike a message to the customer (one worker's correspondence,
which `communications.view_all` guards), a thread kept to its participants would hide
hand-over context and make mentioning a colleague outside it useless (MENTION_CANNOT_SEE
already refuses a mention of someone who cannot see the customer)."""
