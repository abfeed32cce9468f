"""Simulation: the Monte-Carlo model and its seeded draws, the runner, summaries as exact
histograms, multi-cycle runs, injected irregularities, indirect rounds and their fit.

Imports: errors, records, law, tally, replay, formats.
"""
