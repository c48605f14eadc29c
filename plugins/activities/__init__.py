"""The activities module: a typed log of what was done with a customer (calls, emails,
meetings, notes, tasks, deal updates), searchable within the customer and shown on its
timeline.

Module contract (other modules log entries without importing this one): any event whose
data carries an `activity` object,

    {"activity": {"kind": "DEAL_UPDATE", "subject": "Deal won: Website", "body": "..."}}

becomes an activity on the event's customer when the tenant enabled this module: `kind` one
of the activity kinds (CALL, EMAIL, MEETING, NOTE, TASK, DEAL_UPDATE), `subject` its title
(required, cut at 200 characters), `body` its description (optional, cut at 10,000). The
event's actor is its worker, the event's time its `occurredAt`. It is logged once per event
id (a unique key, insert-or-ignore), so the outbox's at-least-once delivery never doubles
it, and announced as `activity.logged`. Nothing is logged for an event without a customer,
a malformed object (logged as a warning), or while the module is off (its handler does not
run then, and events from that time are not logged later)."""
