"""Hook implementations of the tickets module, and nothing else."""

from core.hookspecs import hookimpl
from core.plugins import Module


@hookimpl
def hub_module():
    return Module("tickets", "Tickets", "Support cases with a comment thread.")
