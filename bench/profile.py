"""What a profile screen asks for in one request: the core profile, its tabs with badges, the
timeline's first page and every module's summary with the first page of its main list. The
bench times it and `tests/test_profile.py` counts its statements."""

FULL_PROFILE = """
query FullProfile($id: ID!) {
  customer(id: $id) {
    id name kind avatarUrl version company leadSource city notes followUpAt createdAt
    phones { label value primary } emails { label value primary }
    primaryPhone primaryEmail
    status { id name color } blocked blockedReason
    customFields { definition { key label type group } text number date dateTime boolean options }
    folders { folder { id name color statuses { id name } } status { id name } addedAt }
    tags { id name color } workers { id name avatarUrl } parent { id name }
    subCustomerCount
    subCustomers(first: 10) { nodes { id name } pageInfo { hasNextPage endCursor } }
    profileTabs { key title icon badgeCount }
    timeline(first: 20) {
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id action occurredAt summary actor { id name avatarUrl } } }
    }
    payments {
      balance { amount currency }
      lifetimeValue { amount currency }
      unpaidInvoiceCount overdueInvoiceCount
      invoices(first: 5) {
        totalCount
        pageInfo { hasNextPage endCursor }
        nodes {
          id number status dueDate overdue
          total { amount currency } amountDue { amount currency }
        }
      }
    }
    insurance {
      activePolicyCount openClaimCount
      policies(first: 5) {
        totalCount
        nodes {
          id number status endDate
          coverageLimit { amount currency } provider { id name }
        }
      }
    }
    appointments {
      upcomingCount credits
      next { id start end location worker { id name } }
      upcoming(first: 5) {
        pageInfo { hasNextPage endCursor }
        nodes { id start end status location worker { id name } }
      }
    }
    tickets {
      openCount overdueCount
      open(first: 5) {
        pageInfo { hasNextPage endCursor }
        nodes { id reference subject status priority dueAt overdue assignee { id name } }
      }
    }
  }
}"""

RICHEST = """
{ customers(first: 100) { nodes {
  id
  payments { invoices(first: 1) { totalCount } }
  insurance { policies(first: 1) { totalCount } }
  appointments { upcoming(first: 1) { totalCount } }
  tickets { open(first: 1) { totalCount } }
} } }"""


async def richest(call) -> str:
    """The id of a customer with rows in as many modules as any (demo data spreads them)."""
    nodes = (await call(RICHEST, {}))["data"]["customers"]["nodes"]

    def filled(node) -> int:
        lists = (
            node["payments"]["invoices"],
            node["insurance"]["policies"],
            node["appointments"]["upcoming"],
            node["tickets"]["open"],
        )
        return sum(1 for found in lists if found["totalCount"])

    return max(nodes, key=filled)["id"]
