"""The missions module: a customer's tasks, with due times, assignees and a status machine."""
