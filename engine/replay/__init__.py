"""Replay: recompute every race and area of a scenario, and reconcile every figure the source
published (exact, rounded, truncated, consistent, mismatch), inferring the counts it did not.

Imports: errors, records, law, tally.
"""
