"""Customers and leads: the list, the profile and every change to them."""
