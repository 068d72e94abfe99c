"""Instrumentation of runs: events, code snapshots, resource samples."""
