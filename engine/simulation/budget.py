"""How much a simulation may hold at once: runs per chunk from a memory budget, the refusal of a
model whose smallest unit of work does not fit, and the sizes a model may have at all.

A run of a model holds, per precinct, its turnout, ballots, invalid ballots and every option's
votes with their draws' temporaries: about ``16 C + 44`` bytes for ``C`` options as numpy
allocates them (tracemalloc on the draws and the tally of whole chunks, both kernels), about 240
bytes for 7 options as resident memory (benchmarks/budget_bench.py). :func:`run_bytes` counts
``32 C + 96`` (320 for 7 options), so the workers stay within the budget with the allocator's
slack. Runs are drawn in blocks of :data:`BLOCK_RUNS` (the unit of the seed tree, so results
never depend on the chunking): a chunk is a whole number of blocks, and a block must fit the
budget on its own.
"""

from __future__ import annotations

import os
from pathlib import Path

from engine.errors import ScenarioError
from engine.limits import MAX_SIM_VOTERS, over_limit
from engine.simulation.model import Model
from engine.simulation.seeds import BLOCK_RUNS

__all__ = ["check_size", "chunk_runs", "default_memory", "fits", "plan", "plan_blocks",
           "run_bytes"]

_PER_OPTION = 32    # bytes per run, precinct and option (16 allocated by numpy)
_PER_PRECINCT = 96  # bytes per run and precinct besides the options (44 allocated)
_PER_RACE = 64     # bytes per run, race and option of the race sums and decisions
_SHARE = 4         # the default budget: a quarter of the machine's memory


def run_bytes(model: Model) -> int:
    """Bytes one run of ``model`` holds while it is drawn and tallied."""
    c = model.k + 1
    return (model.n_precincts * (_PER_OPTION * c + _PER_PRECINCT)
            + model.n_races * _PER_RACE * c)


def _machine_memory() -> int | None:
    """The memory this process may use: the machine's, or its control group's limit if lower."""
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None
    for cap in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(cap).read_text().strip()
        except OSError:
            continue
        if text.isdigit():
            total = min(total, int(text))
    return total


def default_memory() -> int:
    """The default budget: a quarter of the machine's memory (1 GiB where it cannot be told)."""
    total = _machine_memory()
    return total // _SHARE if total else 1 << 30


def fits(model: Model, memory: int | None, *, chunk_runs: int | None = None,
         file: str = "") -> None:
    """Refuse, in one line (naming ``file``), a model whose smallest unit of work, one block of
    runs (or the ``chunk_runs`` asked for, in whole blocks), does not fit the budget ``memory``
    (bytes; None: :func:`default_memory`)."""
    budget = default_memory() if memory is None else memory
    runs = BLOCK_RUNS * max(1, -(-(chunk_runs or BLOCK_RUNS) // BLOCK_RUNS))
    need = runs * run_bytes(model)
    if need > budget:
        what = "a chunk of" if chunk_runs else "a block of"
        fix = "fewer --chunk-runs, " if chunk_runs and runs > BLOCK_RUNS else ""
        problem = (f"{what} {runs} runs of this model ({model.n_precincts:,} precincts, "
                   f"{model.k + 1} options) needs about {_mib(need)}, more than the budget of "
                   f"{_mib(budget)}: raise --memory, or ask {fix}fewer precincts")
        raise ScenarioError(file, "--memory", problem)


def plan(model: Model, runs: int, jobs: int, memory: int | None,
         chunk_runs: int | None = None) -> tuple[int, int]:
    """Runs per chunk and worker threads for ``runs`` runs within the budget ``memory`` (None:
    :func:`default_memory`): every worker holds one chunk, so the workers together hold at
    most the budget. A chunk is as many whole blocks as fit, but no more than keep every worker
    busy to the end (four chunks each), and at least one block (:func:`fits` refuses a model
    whose block does not fit); ``chunk_runs`` given, it is kept and only the workers fit to it.
    Neither changes a result: every count is an exact sum over blocks."""
    budget = default_memory() if memory is None else memory
    return plan_blocks(BLOCK_RUNS * max(run_bytes(model), 1), runs, jobs, budget, chunk_runs)


def plan_blocks(block: int, runs: int, jobs: int, budget: int,
                chunk_runs: int | None = None) -> tuple[int, int]:
    """:func:`plan` for any work drawn in blocks of :data:`BLOCK_RUNS` runs holding ``block``
    bytes each (an indirect round's uniforms, too), within ``budget`` bytes."""
    block, jobs = max(block, 1), max(jobs, 1)
    if chunk_runs is None:
        by_memory = budget // (jobs * block)
        by_work = -(-runs // (BLOCK_RUNS * 4 * jobs))
        chunk_runs = BLOCK_RUNS * max(1, min(by_memory, by_work))
    held = -(-chunk_runs // BLOCK_RUNS) * block  # a chunk is whole blocks
    return chunk_runs, max(1, min(jobs, budget // held))


def chunk_runs(model: Model, runs: int, jobs: int, memory: int | None) -> int:
    """Runs per chunk (:func:`plan`)."""
    return plan(model, runs, jobs, memory)[0]


def check_size(file: str, place: str, races: int, precincts: int, largest_race: int) -> None:
    """A model's races, precincts and largest race (registered voters) against the limits:
    the exact draws and histograms need at most :data:`MAX_SIM_VOTERS` voters in a race, and
    the histograms' keys (race x voters) must stay inside int64."""
    for name, n in (("races", races), ("precincts", precincts)):
        if problem := over_limit(name, n):
            raise ScenarioError(file, place, problem)
    if largest_race > MAX_SIM_VOTERS:
        raise ScenarioError(file, place, f"a race of {largest_race:,} registered voters: a "
                            f"simulation takes at most {MAX_SIM_VOTERS:,} in a race (its draws "
                            "and counts are exact only up to there)")
    if races * (largest_race + 1) >= 2**62:
        raise ScenarioError(file, place, f"{races:,} races of up to {largest_race:,} voters: "
                            "too many to count every race's exact distribution in int64")


def _mib(n: int) -> str:
    if n < 100 << 20:
        return f"{n / (1 << 20):,.1f} MiB"
    return f"{n / (1 << 20):,.0f} MiB" if n < 10 << 30 else f"{n / (1 << 30):,.1f} GiB"
