"""Folders, statuses, tags and custom field definitions: the tenant's set-up."""
