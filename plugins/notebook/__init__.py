"""Notes on a customer: many per customer, Markdown as written, pinned first, with the
workers they mention. Core's one-text `Customer.notes` stays as it is (see the README)."""
