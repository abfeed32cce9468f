"""The tally core: precinct rows summed by race and by area, exactly in int64, all races at once;
ballot codes counted; the compiled kernels (``_kernels.c``) and their numpy/scipy fallbacks.

Imports: errors, records, law.
"""
