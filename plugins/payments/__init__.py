"""The payments module: charges, invoices, payments, refunds and balance."""
