"""Dynamic content: a tenant's own text blocks (a Markdown template each) shown on the
profiles of the customers they apply to, filled from the customer's fields: "VIP: offer the
lounge", "Call {{ name }} about the renewal". A block may be limited to some folders and
switched off; the tab's badge counts the blocks a customer gets.

Templates are written by staff and rendered on the server for every worker who opens a
profile, so rendering is sandboxed and bounded (`render.py`); the HTML is built from
Markdown with raw HTML off, so neither a template nor a customer's data can inject markup."""
