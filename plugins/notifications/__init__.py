"""Worker notifications: each worker's own feed for the top bar (mentions, assignments,
automation rules, system notices) with an unread count that follows live.

Other modules never call this one: any event may carry a `notify` object (the contract in
docs/plugins.md), and the module reacts by itself to core's `customer.workers_changed`, to
missions' `mission.assigned` / `mission.created` and to webhooks' `webhook.endpoint_disabled`.
A notification is made once per (event, recipient), after the event committed, and only for a
recipient who may see its customer then: the feed never shows what its reader may not see."""
