"""The law as data and pure functions: rule sets and how a race is decided, the re-vote of
indirect rounds, terms and the two-term limit, the legal calendar.

Imports: errors, records.
"""
