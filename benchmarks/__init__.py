"""saylau's benchmarks: its kernels beside numpy, pandas, plain Python and the peers, measured
on the same data in one process (``python -m benchmarks`` or ``saylau bench``; see README.md
in this folder)."""
