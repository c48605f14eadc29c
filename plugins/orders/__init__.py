"""The orders module: a tenant's catalog of products and services, and per-customer quotes,
proposals and purchase orders with server-computed totals and a status flow. An accepted
order asks for an invoice through the generic invoice-request contract (payments' module
docstring, `docs/plugins.md`), so orders never imports payments."""
