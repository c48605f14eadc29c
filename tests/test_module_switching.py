"""The issue's own check: a tenant with only `tickets` sees tickets and nothing of the other
modules; enabling payments makes `customer { payments { balance } }` queryable at once;
disabling hides it again and keeps the rows."""

TYPES = '{ __type(name: "Customer") { fields { name } } }'
BALANCE = "query($id: ID!) { customer(id: $id) { payments { balance { amount currency } } } }"


def customer_fields(api) -> set[str]:
    return {f["name"] for f in api.query(TYPES)["__type"]["fields"]}


def test_only_enabled_modules_exist_for_a_tenant(api):
    api.enable("tickets")
    fields = customer_fields(api)
    assert "tickets" in fields
    assert not {"payments", "insurance", "appointments"} & fields
    schema = api.query("{ __schema { types { name } } }")["__schema"]["types"]
    names = {t["name"] for t in schema}
    assert "Ticket" in names
    assert not {"Invoice", "InsurancePolicy", "Appointment"} & names


def test_enable_payments_then_disable_keeps_the_rows(api):
    api.enable("tickets")
    ada = api.ok("createCustomer", {"name": "Ada"}, "customer { id }")["customer"]["id"]
    assert api.errors(BALANCE, id=ada)[0]["extensions"]["code"] == "MODULE_DISABLED"
    api.enable("payments")
    api.ok(
        "createInvoice",
        {
            "customerId": ada,
            "lines": [{"description": "Visit", "unitPrice": {"amount": 5000, "currency": "EUR"}}],
        },
        "invoice { id }",
    )
    assert api.query(BALANCE, id=ada)["customer"]["payments"]["balance"] == []
    invoices = "query($id: ID!) { customer(id: $id) { payments { invoices { totalCount } } } }"
    assert api.query(invoices, id=ada)["customer"]["payments"]["invoices"]["totalCount"] == 1
    api.ok("disableModule", {"module": "payments"}, "modules { name enabled }")
    assert "payments" not in customer_fields(api)
    assert api.errors(BALANCE, id=ada)[0]["extensions"]["code"] == "MODULE_DISABLED"
    api.enable("payments")
    assert api.query(invoices, id=ada)["customer"]["payments"]["invoices"]["totalCount"] == 1
