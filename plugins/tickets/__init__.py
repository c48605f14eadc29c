"""The tickets module: support cases with a comment thread."""
