"""Hook implementations of the payments module, and nothing else."""

from core.hookspecs import hookimpl
from core.plugins import Module


@hookimpl
def hub_module():
    return Module("payments", "Payments", "Charges, invoices, payments, refunds and balance.")
