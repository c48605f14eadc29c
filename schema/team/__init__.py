"""Workers, the tenant and the signed-in viewer."""
