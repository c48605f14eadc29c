"""A bounded LRU of values by key: what a process keeps between requests (compiled plans,
statements, validation results, tokens read) is bounded, so a stream of distinct keys cannot
grow its memory, and the entries in use stay."""

from collections import OrderedDict


class Lru:
    """At most `size` values, the least recently used dropped first. None is not a value:
    `find` answers None for a key it does not hold."""

    def __init__(self, size: int):
        self.size, self.found = size, OrderedDict()

    def get(self, key, make):
        value = self.find(key)
        if value is None:
            value = self.put(key, make())
        return value

    def find(self, key):
        value = self.found.get(key)
        if value is not None:
            self.found.move_to_end(key)
        return value

    def put(self, key, value):
        self.found[key] = value
        self.found.move_to_end(key)
        if len(self.found) > self.size:
            self.found.popitem(last=False)
        return value

    def pop(self, key) -> None:
        self.found.pop(key, None)
