"""Standard fields of a customer (title, date of birth, website, industry, payment and
communication preferences, billing and shipping addresses) through the API: set, change,
clear, validation, the timeline, export, merge and the sub-customer copy."""

from datetime import UTC, date, datetime, timedelta

from tests.support import Api

STANDARD = """
salutation jobTitle dateOfBirth website industry version
payment { method termsDays currency }
communication {
  doNotContact preferredChannel
  email { status at allowed } sms { status at allowed } whatsapp { status at allowed }
  phone { status at allowed } post { status at allowed }
}
billingAddress { line1 line2 city region postalCode country }
shippingAddress { line1 line2 city region postalCode country }
"""
ONE = f"query($id: ID!) {{ customer(id: $id) {{ id name {STANDARD} }} }}"
BERLIN = {"line1": "Unter den Linden 1", "city": "Berlin", "postalCode": "10117", "country": "de"}
DEPOT = {"line1": "Dock 4", "line2": "Gate B", "region": "Hamburg", "country": "DE"}


def create(api: Api, name: str = "Acme GmbH", **fields) -> dict:
    payload = api.ok("createCustomer", {"name": name, **fields}, f"customer {{ id {STANDARD} }}")
    return payload["customer"]


def update(api: Api, customer_id: str, **fields) -> dict:
    payload = api.mutate(
        "updateCustomer", {"id": customer_id, **fields}, f"customer {{ id {STANDARD} }}"
    )
    return payload


def problems(payload: dict) -> list[tuple[str, str]]:
    return sorted((".".join(e["field"]), e["code"]) for e in payload["userErrors"])


def test_every_standard_field_is_set_on_create_and_read_back(api):
    fixed = create(
        api,
        "Ada",
        salutation="  Dr. ",
        jobTitle="Chief Engineer",
        dateOfBirth="1985-12-10",
        website="Example.COM/shop",
        industry="Manufacturing",
        payment={"method": "BANK_TRANSFER", "termsDays": 30, "currency": "eur"},
        communication={
            "preferredChannel": "EMAIL",
            "email": {"status": "OPTED_IN", "at": "2026-01-02T03:04:05+00:00"},
            "sms": {"status": "OPTED_OUT"},
        },
        billingAddress=BERLIN,
        shippingAddress=DEPOT,
    )
    read = api.query(ONE, id=fixed["id"])["customer"]
    assert read["salutation"] == "Dr."
    assert read["jobTitle"] == "Chief Engineer"
    assert read["dateOfBirth"] == "1985-12-10"
    assert read["website"] == "https://example.com/shop"
    assert read["industry"] == "Manufacturing"
    assert read["payment"] == {"method": "BANK_TRANSFER", "termsDays": 30, "currency": "EUR"}
    comm = read["communication"]
    assert comm["doNotContact"] is False and comm["preferredChannel"] == "EMAIL"
    assert comm["email"]["status"] == "OPTED_IN" and comm["email"]["allowed"] is True
    assert comm["email"]["at"].startswith("2026-01-02T03:04:05")
    assert comm["sms"]["status"] == "OPTED_OUT" and comm["sms"]["allowed"] is False
    assert comm["sms"]["at"] is not None
    assert comm["post"] == {"status": None, "at": None, "allowed": False}
    assert read["billingAddress"] == {
        "line1": "Unter den Linden 1",
        "line2": None,
        "city": "Berlin",
        "region": None,
        "postalCode": "10117",
        "country": "DE",
    }
    assert read["shippingAddress"]["line2"] == "Gate B"
    assert read == {**fixed, "name": "Ada"}


def test_a_date_of_birth_before_1900_is_refused(api):
    payload = api.mutate("createCustomer", {"name": "Old", "dateOfBirth": "1815-12-10"})
    assert problems(payload) == [("input.dateOfBirth", "INVALID")]


def test_update_changes_only_what_is_sent_and_null_clears(api):
    made = create(
        api,
        jobTitle="Buyer",
        website="acme.example",
        payment={"method": "CARD", "termsDays": 14, "currency": "USD"},
        billingAddress=BERLIN,
        shippingAddress=DEPOT,
    )
    changed = update(api, made["id"], payment={"termsDays": 60}, industry="Retail")
    assert changed["userErrors"] == []
    after = changed["customer"]
    assert after["payment"] == {"method": "CARD", "termsDays": 60, "currency": "USD"}
    assert after["jobTitle"] == "Buyer" and after["industry"] == "Retail"
    assert after["website"] == "https://acme.example"
    assert after["version"] > made["version"]

    cleared = update(
        api, made["id"], jobTitle=None, website=None, payment=None, shippingAddress=None
    )["customer"]
    assert cleared["jobTitle"] is None and cleared["website"] is None
    assert cleared["payment"] == {"method": None, "termsDays": None, "currency": None}
    assert cleared["shippingAddress"] is None
    assert cleared["billingAddress"]["city"] == "Berlin"

    moved = update(api, made["id"], billingAddress={"line1": "Rue 2", "country": "FR"})
    assert moved["customer"]["billingAddress"] == {
        "line1": "Rue 2",
        "line2": None,
        "city": None,
        "region": None,
        "postalCode": None,
        "country": "FR",
    }
    read = api.query(ONE, id=made["id"])["customer"]
    assert read["billingAddress"]["country"] == "FR" and read["shippingAddress"] is None


def test_consent_keeps_its_time_until_the_answer_changes(api):
    made = create(api, communication={"email": {"status": "OPTED_IN"}})
    first = made["communication"]["email"]["at"]
    assert first is not None
    again = update(api, made["id"], communication={"email": {"status": "OPTED_IN"}})
    assert again["customer"]["communication"]["email"]["at"] == first
    out = update(api, made["id"], communication={"email": {"status": "OPTED_OUT"}})
    assert out["customer"]["communication"]["email"]["status"] == "OPTED_OUT"
    blocked = update(
        api,
        made["id"],
        communication={"doNotContact": True, "sms": {"status": "OPTED_IN"}},
    )["customer"]["communication"]
    assert blocked["doNotContact"] is True
    assert blocked["email"]["status"] == "OPTED_OUT"
    assert blocked["sms"] == {**blocked["sms"], "status": "OPTED_IN", "allowed": False}
    reset = update(api, made["id"], communication=None)["customer"]["communication"]
    assert reset["doNotContact"] is False
    assert all(reset[c] == {"status": None, "at": None, "allowed": False} for c in ("email", "sms"))


def test_invalid_values_are_user_errors_and_nothing_is_written(api):
    made = create(api, industry="Retail")
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    payload = update(
        api,
        made["id"],
        industry="x" * 101,
        salutation="y" * 41,
        dateOfBirth=(date.today() + timedelta(days=2)).isoformat(),
        website="ftp://files.example.com",
        payment={"termsDays": 400, "currency": "EURO"},
        communication={"email": {"status": "OPTED_IN", "at": tomorrow}},
        billingAddress={"line1": " ", "country": "XX"},
        shippingAddress={"line1": "Dock 4", "country": ""},
    )
    assert payload["customer"] is None
    assert problems(payload) == [
        ("input.billingAddress.country", "INVALID"),
        ("input.billingAddress.line1", "REQUIRED"),
        ("input.communication.email.at", "INVALID"),
        ("input.dateOfBirth", "INVALID"),
        ("input.industry", "TOO_LONG"),
        ("input.payment.currency", "INVALID"),
        ("input.payment.termsDays", "INVALID"),
        ("input.salutation", "TOO_LONG"),
        ("input.shippingAddress.country", "REQUIRED"),
        ("input.website", "INVALID"),
    ]
    assert api.query(ONE, id=made["id"])["customer"] == {**made, "name": "Acme GmbH"}
    for bad in ("not a url", "http://localhost", "https://user:pw@example.com", "example"):
        assert problems(update(api, made["id"], website=bad)) == [("input.website", "INVALID")]
    on_create = api.mutate(
        "createCustomer", {"name": "X", "billingAddress": {"line1": "A", "country": "ZZ"}}
    )
    assert problems(on_create) == [("input.billingAddress.country", "INVALID")]


def test_changes_show_on_the_timeline(api):
    made = create(api)
    update(api, made["id"], jobTitle="CEO", billingAddress=BERLIN, payment={"method": "CASH"})
    timeline = api.query(
        "query($id: ID!) { customer(id: $id) { timeline(first: 5) { nodes { action summary } } } }",
        id=made["id"],
    )["customer"]["timeline"]["nodes"]
    assert timeline[0]["action"] == "customer.updated"
    assert timeline[0]["summary"] == (
        "Olivia Owner changed billing address, job title and payment preferences"
    )


def test_export_holds_the_standard_fields_and_addresses(api):
    made = create(api, jobTitle="CEO", dateOfBirth="1970-01-01", billingAddress=BERLIN)
    data = api.query("query($id: ID!) { customerExport(id: $id) }", id=made["id"])["customerExport"]
    customer = data["customer"]
    assert customer["job_title"] == "CEO" and customer["date_of_birth"] == "1970-01-01"
    assert "contact_search_text" not in customer and "search_text" not in customer
    assert [a["kind"] for a in data["addresses"]] == ["BILLING"]
    assert data["addresses"][0]["country"] == "DE"
    assert data["contacts"] == []


def test_merge_fills_blanks_from_the_source_and_moves_missing_addresses(api):
    source = create(
        api,
        "Old record",
        jobTitle="Buyer",
        industry="Retail",
        payment={"method": "CARD", "currency": "EUR"},
        communication={"doNotContact": True, "email": {"status": "OPTED_IN"}},
        billingAddress=BERLIN,
        shippingAddress=DEPOT,
    )
    target = create(
        api,
        "New record",
        industry="Wholesale",
        payment={"termsDays": 30},
        billingAddress={"line1": "Main St 1", "country": "US"},
    )
    merged = api.ok(
        "mergeCustomers",
        {"sourceId": source["id"], "targetId": target["id"]},
        f"customer {{ {STANDARD} }}",
    )["customer"]
    assert merged["jobTitle"] == "Buyer" and merged["industry"] == "Wholesale"
    assert merged["payment"] == {"method": "CARD", "termsDays": 30, "currency": "EUR"}
    assert merged["communication"]["doNotContact"] is True
    assert merged["communication"]["email"] == source["communication"]["email"]
    assert merged["billingAddress"]["country"] == "US"
    assert merged["shippingAddress"]["line1"] == "Dock 4"


def test_a_sub_customer_copies_the_chosen_standard_fields(api):
    api.ok(
        "updateTenantSettings",
        {"subCustomerCopyFields": ["INDUSTRY", "PAYMENT", "BILLING_ADDRESS"]},
    )
    parent = create(
        api,
        industry="Retail",
        website="acme.example",
        payment={"method": "DIRECT_DEBIT", "termsDays": 10},
        billingAddress=BERLIN,
        shippingAddress=DEPOT,
    )
    child = api.ok(
        "createSubCustomer",
        {"parentId": parent["id"], "name": "Acme Branch"},
        f"customer {{ {STANDARD} }}",
    )["customer"]
    assert child["industry"] == "Retail" and child["website"] is None
    assert child["payment"] == {"method": "DIRECT_DEBIT", "termsDays": 10, "currency": None}
    assert child["billingAddress"]["city"] == "Berlin" and child["shippingAddress"] is None
    own = api.ok(
        "createSubCustomer",
        {"parentId": parent["id"], "name": "Other", "billingAddress": DEPOT},
        f"customer {{ {STANDARD} }}",
    )["customer"]
    assert own["billingAddress"]["line1"] == "Dock 4"


def test_another_tenant_cannot_change_the_fields(api, other_api):
    made = create(api, jobTitle="CEO")
    payload = other_api.mutate("updateCustomer", {"id": made["id"], "jobTitle": "Intruder"})
    assert problems(payload) == [("input.id", "NOT_FOUND")]
    assert api.query(ONE, id=made["id"])["customer"]["jobTitle"] == "CEO"
