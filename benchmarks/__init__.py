"""Runnable benchmarks: saylau's kernels side by side with numpy baselines (``python -m benchmarks``)."""
