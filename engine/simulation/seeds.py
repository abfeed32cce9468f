"""The seed tree: every random number saylau draws comes from one branch of ``SeedSequence(seed)``.

Runs are cut into blocks of :data:`BLOCK_RUNS` runs. Block ``b`` draws from
``SeedSequence(seed).spawn(n_blocks)[b]`` (built directly, so no list of children is ever
held), which spawns two streams: one for the race shocks, one for the precincts. A chunk is a
whole number of blocks, and every reduction is an exact integer sum, so the same seed gives the
same bytes for any chunk size and any number of workers.

Other users of the tree take branches no simulation block reaches: forensics draws from
``child_seed(seed, FORENSICS_STREAM, test)``; an indirect round's block ``b`` from
``child_seed(seed, b)`` of its own seed, and the model check of a fitted round from
``child_seed(seed, CHECK_STREAM)``, apart from the uniforms the fit read.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BLOCK_RUNS", "CHECK_STREAM", "FORENSICS_STREAM", "block_runs", "block_seed",
           "child_seed", "root_seed"]

# Runs per seeded block: the unit of the random stream, fixed so results never depend on the
# chunk size or the number of workers.
BLOCK_RUNS = 64

# The seed-tree key of forensics' own draws (child_seed(seed, FORENSICS_STREAM, test)): a
# simulation's blocks are keys 0, 1, ...; block 2^32 - 1 would take 2^32 blocks of 64 runs.
FORENSICS_STREAM = 2**32 - 1
# The seed-tree key of a fitted round's model check: rounds drawn apart from the fit's own.
CHECK_STREAM = 2**32 - 2


def root_seed(seed: int | np.random.SeedSequence) -> np.random.SeedSequence:
    """``seed`` as a SeedSequence: itself if it is one, else ``SeedSequence(seed)``."""
    return seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)


def child_seed(seed: int | np.random.SeedSequence, *key: int) -> np.random.SeedSequence:
    """The descendant of ``seed`` at ``key``: ``child_seed(s, b)`` is the same as
    ``SeedSequence(s).spawn(n)[b]`` for any n > b, and ``child_seed(s, b, i)`` that child's
    i-th child, built directly (nothing spawned before counts, no list is held)."""
    root = root_seed(seed)
    return np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, *key),
                                  pool_size=root.pool_size)


def block_seed(seed: int | np.random.SeedSequence, block: int) -> np.random.SeedSequence:
    """Block ``block``'s seed (see :func:`child_seed`)."""
    return child_seed(seed, block)


def block_runs(runs: int, block: int) -> int:
    """Runs in block ``block`` of a ``runs``-run simulation (the last may be short)."""
    return min(BLOCK_RUNS, runs - block * BLOCK_RUNS)
