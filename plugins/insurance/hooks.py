"""Hook implementations of the insurance module, and nothing else."""

from core.hookspecs import hookimpl
from core.plugins import Module


@hookimpl
def hub_module():
    return Module("insurance", "Insurance", "Policies and claims with their workflow.")
