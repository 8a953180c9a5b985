"""The kernel every package builds on: settings, records, analysis types, errors.

Imports nothing of ours, so anything may import it.
"""
