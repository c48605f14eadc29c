"""Segments' GraphQL face: the `Segment` type, the `segments` list, the mutations, and the
loader behind `Customer.segments`. The rules live in `core/segments.py`."""
