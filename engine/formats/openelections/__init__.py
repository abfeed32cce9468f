"""OpenElections precinct files: read as published (mended with a warning, or refused in one
line) into races, and a replay written back in the same layout.
"""
