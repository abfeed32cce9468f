"""Everything that reads or writes a file: TOML scenarios (strictly), precinct CSV, the
``[model]`` table, OpenElections, NIST SP 1500-100, pandas DataFrames.

Readers build records; writers take a replay. Imports: errors, records, law, tally, replay.
"""
