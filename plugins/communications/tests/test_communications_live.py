"""The unread badge over `badgeCounts` is each worker's own: two admins who both see every
customer watch the same customer, one has read its messages, and a new message brings each
their own count (they used to share one read, made as the first watcher)."""

from plugins.communications.tests.helpers import inbound, secret
from tests.support import Api, as_worker
from tests.support import create_customer as customer
from tests.support import create_worker as worker
from tests.test_subscriptions import BADGES, next_payload, socket, subscribe, tabs


def test_each_admin_gets_their_own_unread_count(api: Api):
    api.enable("communications")
    admin = as_worker(api, worker(api, "Ada Admin", "ADMIN"))
    who = customer(api, "Bea", emails=[{"value": "bea@example.com"}])
    key = secret(api)
    inbound(api, key, "m-1", "bea@example.com")
    api.ok("markCommunicationsRead", {"customerId": who}, "unreadCount")
    with socket(api) as owner_ws, socket(api, admin.token) as admin_ws:
        subscribe(owner_ws, BADGES, ids=[who])
        subscribe(admin_ws, BADGES, ids=[who])
        assert tabs(next_payload(owner_ws))["communications"] == 0
        assert tabs(next_payload(admin_ws))["communications"] == 1
        inbound(api, key, "m-2", "bea@example.com")
        assert tabs(next_payload(owner_ws))["communications"] == 1
        assert tabs(next_payload(admin_ws))["communications"] == 2
