"""Hook implementations of the appointments module, and nothing else."""

from core.hookspecs import hookimpl
from core.plugins import Module


@hookimpl
def hub_module():
    return Module("appointments", "Appointments", "Bookings with workers, reminders and prepaid credits.")
