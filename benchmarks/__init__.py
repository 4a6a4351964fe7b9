"""Benchmarks (`make bench`): figures printed and written to results/, never asserted."""
