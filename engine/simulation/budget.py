"""How much a simulation may hold at once: runs per chunk from a memory budget, the refusal of a
model whose smallest unit of work does not fit, and the sizes a model may have at all.

A run of a model holds, per precinct, its turnout, ballots, invalid ballots and every option's
votes with their draws' temporaries: about ``16 C + 44`` bytes for ``C`` options (measured with
tracemalloc on the draws and the tally of whole chunks, both kernels); :func:`run_bytes` counts
``24 C + 64`` to leave room for irregularities and the allocator. Runs are drawn in blocks of
:data:`BLOCK_RUNS` (the unit of the seed tree, so results never depend on the chunking): a chunk
is a whole number of blocks, and a block must fit the budget on its own.
"""

from __future__ import annotations

import os
from pathlib import Path

from engine.errors import ScenarioError
from engine.limits import MAX_SIM_VOTERS, over_limit
from engine.simulation.model import Model
from engine.simulation.seeds import BLOCK_RUNS

__all__ = ["check_size", "chunk_runs", "default_memory", "fits", "run_bytes"]

_PER_OPTION = 24   # bytes per run, precinct and option (16 measured)
_PER_PRECINCT = 64  # bytes per run and precinct besides the options (44 measured)
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


def fits(model: Model, memory: int | None, *, runs: int = BLOCK_RUNS, what: str = "",
         file: str = "") -> None:
    """Refuse, in one line (naming ``file``), a model whose ``runs`` runs (one block by
    default) do not fit the budget ``memory`` (bytes; None: :func:`default_memory`)."""
    budget = default_memory() if memory is None else memory
    need = runs * run_bytes(model)
    if need > budget:
        problem = (f"{what or 'a block of'} {runs} runs of this model ({model.n_precincts:,} "
                   f"precincts, {model.k + 1} options) need about {_mib(need)}, more than the "
                   f"budget of {_mib(budget)}: raise --memory, or simulate fewer precincts")
        raise ScenarioError(file, "--memory", problem)


def chunk_runs(model: Model, runs: int, jobs: int, memory: int | None) -> int:
    """Runs per chunk: as many whole blocks as ``jobs`` workers may hold at once within the
    budget, but no more than keep every worker busy to the end (four chunks each); at least
    one block, which :func:`fits` must have allowed."""
    budget = default_memory() if memory is None else memory
    by_memory = budget // (max(jobs, 1) * BLOCK_RUNS * max(run_bytes(model), 1))
    by_work = -(-runs // (BLOCK_RUNS * 4 * max(jobs, 1)))
    return BLOCK_RUNS * max(1, min(by_memory, by_work))


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
    return f"{n / (1 << 20):,.0f} MiB" if n < 10 << 30 else f"{n / (1 << 30):,.1f} GiB"
