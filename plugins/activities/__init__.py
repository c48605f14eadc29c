"""The activities module: a typed log of what was done with a customer (calls, emails,
meetings, notes, tasks, deal updates), searchable within the customer and shown on its
timeline."""
