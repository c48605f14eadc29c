"""The checklists module: ordered to-do lists on a customer, made by hand or from templates
that folders hand out when a customer enters them."""
