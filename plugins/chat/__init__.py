"""Chat: conversation threads between workers about one customer. A customer may have several
threads ("General" is made by the first message sent without one); messages mention workers
by id, and a mention reaches the notifications module through the `notify` contract
(docs/plugins.md) on `chat.message_posted`. Each worker's read marker per thread gives the
tab's badge: messages by others after it. `chatMessages(customerId)` follows a customer's
chat live, over the same fan-out as `customerEvents` (`schema/live.py`)."""
