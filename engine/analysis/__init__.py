"""Analysis of precinct counts: election forensics (one module per family of tests), the exact
digit laws, the dip test, risk-limiting audit sizes.

Imports: every room but cli.
"""
