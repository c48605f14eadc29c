// Uses the generated types the way a front end would; `tsc --strict` must accept it.
import type {
  CustomerListQuery,
  CustomerListQueryVariables,
  CustomerProfileQuery,
  UpdateCustomerMutation,
  ListBadgesSubscription,
} from "./generated";

export const firstPage: CustomerListQueryVariables = { first: 50, filter: { search: "mar" } };

export function rows(data: CustomerListQuery): string[] {
  return data.customers.edges.map((edge) => `${edge.node.name} (${edge.node.kind})`);
}

export function badge(update: ListBadgesSubscription, tab: string): number {
  return update.badgeCounts.tabs.find((t) => t.key === tab)?.badgeCount ?? 0;
}

export function header(data: CustomerProfileQuery): string | null {
  const customer = data.customer;
  if (!customer) return null;
  const editable = customer.viewerCan.edit ? "editable" : "read-only";
  return `${customer.name} v${customer.version}, ${editable}`;
}

export function problems(data: UpdateCustomerMutation): string[] {
  return data.updateCustomer.userErrors.map((e) => `${(e.field ?? []).join(".")}: ${e.code}`);
}
