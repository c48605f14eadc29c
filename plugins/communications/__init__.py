"""The Communications tab: one history per customer of emails, SMS, WhatsApp messages and
calls, both ways, with delivery status and who has read what. Sending goes through a
provider (`providers.py`) after the write commits, in a job, so a slow or failing mail
server never holds a request or undoes it; inbound messages arrive through a signed HTTP
hook (`inbound.py`). Other modules send through the `message_request` contract
(docs/plugins.md) without importing this one."""
