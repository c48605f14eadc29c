"""The list page with every module's fields: its statement count does not grow with its
length (one statement per relation and module, whatever the page size)."""

from datetime import UTC, datetime, timedelta

from tests.support import Api, count_statements

PAGE = """query($n: Int!) { customers(first: $n) { nodes {
  id name status { name } tags { name } folders { folder { name } status { name } }
  workers { name } parent { name } subCustomerCount
  profileTabs { key badgeCount }
  payments { balance { amount currency } unpaidInvoiceCount
    invoices(first: 3) { nodes { number total { amount } } } }
  insurance { openClaimCount policies(first: 3) { nodes { number } }
    claims(first: 3) { nodes { status } } }
  appointments { upcomingCount credits next { start worker { name } }
    upcoming(first: 3) { nodes { start } } }
  tickets { openCount open(first: 3) { nodes { subject assignee { name } } } }
} } }"""


def batch(api: Api, mutation: str, inputs: list[dict], selection: str = "") -> list[dict]:
    """Run the same mutation for many inputs in one request (aliases)."""
    input_type = f"{mutation[0].upper()}{mutation[1:]}Input"
    variables = ", ".join(f"$i{n}: {input_type}!" for n in range(len(inputs)))
    fields = " ".join(
        f"m{n}: {mutation}(input: $i{n}) {{ {selection} userErrors {{ field code }} }}"
        for n in range(len(inputs))
    )
    data = api.query(
        f"mutation({variables}) {{ {fields} }}", **{f"i{n}": v for n, v in enumerate(inputs)}
    )
    payloads = [data[f"m{n}"] for n in range(len(inputs))]
    assert all(p["userErrors"] == [] for p in payloads), payloads
    return payloads


def in_chunks(items: list, size: int = 25):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def test_every_module_on_a_page_of_12_costs_what_a_page_of_3_costs(api, engine):
    # 12 against 3 shows a count that does not grow with the page as well as 50 against 5
    # would (no batch size or cut-off below 12 on this path), with a quarter of the rows.
    modules = [m["name"] for m in api.query("{ modules { name } }")["modules"]]
    assert {"payments", "insurance", "appointments", "tickets"} <= set(modules)
    api.enable(*modules)
    me = api.query("{ me { worker { id } } }")["me"]["worker"]["id"]
    tag = api.ok("createTag", {"name": "VIP", "color": "#ff0000"}, "tag { id }")["tag"]["id"]
    folder = api.ok("createFolder", {"name": "Sales", "color": "#00ff00"}, "folder { id }")
    folder_id = folder["folder"]["id"]
    parent = api.ok("createCustomer", {"name": "Parent"}, "customer { id }")["customer"]["id"]
    ids = []
    for chunk in in_chunks(list(range(15))):
        inputs = [
            {
                "name": f"Customer {i:02d}",
                "tagIds": [tag],
                "workerIds": [me],
                "folders": [{"folderId": folder_id}],
                "parentId": parent,
            }
            for i in chunk
        ]
        ids += [
            p["customer"]["id"] for p in batch(api, "createCustomer", inputs, "customer { id }")
        ]
    provider = api.ok("createInsuranceProvider", {"name": "Acme Mutual"}, "provider { id }")
    provider_id = provider["provider"]["id"]
    money = {"amount": 10_000, "currency": "EUR"}
    start = datetime.now(UTC) + timedelta(days=3)
    for chunk in in_chunks(list(enumerate(ids))):
        batch(
            api,
            "openTicket",
            [{"customerId": c, "subject": f"Help {i}", "assigneeId": me} for i, c in chunk],
        )
        batch(
            api,
            "createInvoice",
            [
                {"customerId": c, "lines": [{"description": "Visit", "unitPrice": money}]}
                for _, c in chunk
            ],
        )
        batch(
            api,
            "bookAppointment",
            [
                {
                    "customerId": c,
                    "workerId": me,
                    "start": (start + timedelta(hours=2 * i)).isoformat(),
                    "end": (start + timedelta(hours=2 * i + 1)).isoformat(),
                }
                for i, c in chunk
            ],
        )
        policies = batch(
            api,
            "createInsurancePolicy",
            [
                {
                    "customerId": c,
                    "providerId": provider_id,
                    "number": f"P-{i}",
                    "coverageDescription": "Dental",
                    "coverageLimit": money,
                    "premium": {"amount": 900, "currency": "EUR"},
                    "premiumPeriod": "MONTHLY",
                    "startDate": "2026-01-01",
                    "endDate": "2027-12-31",
                }
                for i, c in chunk
            ],
            "policy { id }",
        )
        batch(
            api,
            "submitInsuranceClaim",
            [
                {
                    "customerId": c,
                    "policyId": p["policy"]["id"],
                    "incidentDate": "2026-06-01",
                    "description": "Crown",
                    "claimedAmount": {"amount": 5_000, "currency": "EUR"},
                }
                for (_, c), p in zip(chunk, policies, strict=True)
            ],
        )
    with count_statements(engine) as small:
        three = api.query(PAGE, n=3)["customers"]["nodes"]
    with count_statements(engine) as large:
        twelve = api.query(PAGE, n=12)["customers"]["nodes"]
    assert len(three) == 3 and len(twelve) == 12
    assert all(n["tickets"]["openCount"] == 1 for n in twelve if n["name"] != "Parent")
    assert small.count == large.count, (small.count, large.count)
    print(f"\nstatements for 3 and 12 customers with every module: {small.count}")
