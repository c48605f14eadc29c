"""Email through a real SMTP server the test starts (aiosmtpd): the message arrives with
its subject, body, headers and attachments; a 5xx reply fails it at once, a 4xx one is tried
again."""

import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from plugins.communications.tests.helpers import sent, settled
from tests.support import Api
from tests.support import create_customer as customer
from tests.uploads import PDF, PNG, uploaded


class Mailbox:
    """aiosmtpd's handler: keeps what arrives; answers `replies` first, in order."""

    def __init__(self):
        self.received: list = []
        self.replies: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        if self.replies:
            return self.replies.pop(0)
        self.received.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def mailbox(monkeypatch, api: Api):
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("COMMUNICATIONS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("COMMUNICATIONS_SMTP_PORT", str(port))
    monkeypatch.setenv("COMMUNICATIONS_SMTP_TLS", "none")
    monkeypatch.setenv("COMMUNICATIONS_SMTP_FROM", "shop@example.com")
    monkeypatch.setenv("COMMUNICATIONS_SMTP_TIMEOUT", "10")
    # a retry waits 50 ms, not 10 s
    monkeypatch.setattr(api.client.app.state.jobs, "retry_seconds", 0.05)
    api.enable("communications")
    try:
        yield box
    finally:
        controller.stop()


def test_an_email_arrives_at_the_smtp_server(api, mailbox):
    ada = customer(api, "Ada", emails=[{"value": "ada@example.com"}])
    body = "<p>Your order <b>Q-1</b> shipped.</p><script>x()</script>"
    message = sent(api, ada, body, subject="Shipped")
    assert message["provider"] == "smtp"
    done = settled(api, message["id"])
    assert (done["status"], done["errorMessage"]) == ("SENT", None)
    (envelope,) = mailbox.received
    assert envelope.mail_from == "shop@example.com"
    assert envelope.rcpt_tos == ["ada@example.com"]
    email = message_from_bytes(envelope.content, policy=policy.default)
    assert email["Subject"] == "Shipped" and email["To"] == "ada@example.com"
    assert email["Message-ID"].endswith("@customer-hub>")
    assert "Your order Q-1 shipped." in email.get_body(("plain",)).get_content()
    html = email.get_body(("html",)).get_content()
    assert "<b>Q-1</b>" in html and "script" not in html


def test_a_5xx_reply_fails_the_message_at_once(api, mailbox):
    ada = customer(api, "Ada", emails=[{"value": "ada@example.com"}])
    mailbox.replies = ["550 No such mailbox"]
    done = settled(api, sent(api, ada, "Hi", subject="S")["id"])
    assert done["status"] == "FAILED"
    assert "550" in done["errorMessage"]
    assert mailbox.received == []


def test_a_4xx_reply_is_tried_again(api, mailbox):
    ada = customer(api, "Ada", emails=[{"value": "ada@example.com"}])
    mailbox.replies = ["451 Try again later", "451 Still busy"]
    done = settled(api, sent(api, ada, "Hi", subject="Again")["id"])
    assert done["status"] == "SENT"
    assert mailbox.replies == [] and len(mailbox.received) == 1


def test_temporary_failures_give_up_after_the_last_attempt(api, mailbox):
    ada = customer(api, "Ada", emails=[{"value": "ada@example.com"}])
    mailbox.replies = ["421 Busy"] * 10
    done = settled(api, sent(api, ada, "Hi", subject="Never")["id"])
    assert done["status"] == "FAILED" and "421" in done["errorMessage"]


def test_attachments_arrive_as_mime_parts_with_their_bytes(api, mailbox):
    ada = customer(api, "Ada", emails=[{"value": "ada@example.com"}])
    pdf = uploaded(api, data=PDF, name="quote.pdf", customer_id=ada, claimed="application/pdf")
    png = uploaded(api, data=PNG, name="plan.png", customer_id=ada)
    message = sent(api, ada, "<p>Attached.</p>", subject="Quote", fileIds=[pdf["id"], png["id"]])
    assert settled(api, message["id"])["status"] == "SENT"
    (envelope,) = mailbox.received
    email = message_from_bytes(envelope.content, policy=policy.default)
    assert email.get_content_type() == "multipart/mixed"
    assert "Attached." in email.get_body(("plain",)).get_content()
    parts = [
        (p.get_filename(), p.get_content_type(), p.get_content()) for p in email.iter_attachments()
    ]
    assert parts == [("quote.pdf", "application/pdf", PDF), ("plan.png", "image/png", PNG)]
