"""Shared test fixtures live in `tests/fixtures.py`, so module tests under `plugins/` use
them too."""

pytest_plugins = ["tests.fixtures"]
