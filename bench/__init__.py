"""Benchmarks (`make bench`); never run by `make test`."""
