"""The insurance module: policies and claims with their workflow."""
