"""The compiled binomial and multinomial draws (engine/tally/_kernels.c) against theory, and both
kernels of engine.simulation.draws (compiled and numpy fallback) on the contract of the simulation.

Every test uses fixed seeds, so each run gives the same verdict. The thresholds are set as if
the seeds were random: a correct sampler fails any one statistical check with probability
ALPHA, and with the CHECKS checks of this file all together less than once in 10,000 runs.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import numpy as np
import pytest
from scipy import stats

from engine.simulation import draws as _draws
from engine.simulation.model import Model
from engine.tally.kernel import compiled
from tests.paths import ROOT

try:
    from engine.tally._kernels import binomial as kernel_binomial
    from engine.tally._kernels import multinomial as kernel_multinomial
except ImportError:
    kernel_binomial = kernel_multinomial = None

needs_kernel = pytest.mark.skipif(
    kernel_multinomial is None,
    reason="engine.tally._kernels is not built here (or predates the draws): build it in place "
           "with `pip install -e .` to test the compiled draws",
)

CHECKS = 100  # an upper bound on the statistical checks below
ALPHA = 1e-4 / CHECKS  # per check: all of them together fail a correct sampler < 1e-4 of runs
Z = stats.norm.isf(ALPHA / 2)  # two-sided z threshold for one check
DRAWS = 100_000
PMF_DRAWS = 1_000_000  # per (n, p) case of the binomial's goodness of fit


def binomial(seed: object, n: object, p: object, size: int | None = None) -> np.ndarray:
    """Kernel draws of Binomial(n, p), n and p broadcast (to ``size`` when given)."""
    shape = np.broadcast_shapes(np.shape(n), np.shape(p), () if size is None else (size,))
    rows = np.ascontiguousarray(np.broadcast_to(n, shape), dtype=np.int64)
    prob = np.ascontiguousarray(np.broadcast_to(p, shape), dtype=np.float64)
    out = np.empty(shape, dtype=np.int64)
    bg = np.random.default_rng(seed).bit_generator
    with bg.lock:
        kernel_binomial(bg.capsule, rows, prob, out)
    return out


def multinomial(rng: np.random.Generator, n: object, weights: object) -> np.ndarray:
    """Kernel draws of Multinomial rows: weights (M, C), n broadcast to (M,)."""
    w = np.ascontiguousarray(weights, dtype=np.float64)
    rows = np.ascontiguousarray(np.broadcast_to(n, w.shape[:-1]), dtype=np.int64)
    out = np.empty(w.shape, dtype=np.int64)
    bg = rng.bit_generator
    with bg.lock:
        kernel_multinomial(bg.capsule, rows, w, out)
    return out


def chi_square_pvalue(sample: np.ndarray, pmf: np.ndarray) -> float:
    """Goodness of fit of integer ``sample`` to ``pmf`` on 0, 1, ..., len(pmf) - 1, each tail
    pooled into one cell expecting at least 5 draws."""
    size = sample.size
    counts = np.bincount(sample, minlength=pmf.size)
    assert counts.size == pmf.size, "a draw outside the support"
    expected = pmf * size
    lo = int(np.searchsorted(np.cumsum(expected), 5.0))  # cell 0..lo
    hi = int(np.flatnonzero(np.cumsum(expected[::-1])[::-1] >= 5.0)[-1])  # cell hi..
    assert hi > lo, "too few cells to test"
    observed = np.concatenate([[counts[: lo + 1].sum()], counts[lo + 1 : hi],
                               [counts[hi:].sum()]])
    cells = np.concatenate([[expected[: lo + 1].sum()], expected[lo + 1 : hi],
                            [expected[hi:].sum()]])
    cells *= size / cells.sum()  # the pmf's mass outside the table (< 1e-30) spread
    statistic = ((observed - cells) ** 2 / cells).sum()
    return float(stats.chi2.sf(statistic, observed.size - 1))


def binom_pmf(n: int, p: float) -> np.ndarray:
    return stats.binom.pmf(np.arange(n + 1), n, p)


# (n, p): inversion (n min(p, 1 - p) < 10) and BTRS (>= 10), on both sides of the switch, both
# sides of p = 1/2, p near 0 and 1, both sides of the log-factorial table's end (8192).
BINOMIAL_CASES = [
    (1, 0.5), (1, 0.001), (2, 0.999), (5, 0.5), (20, 0.3), (30, 0.33), (31, 0.33),
    (100, 0.0999), (100, 0.1), (100, 0.9), (100, 0.93), (50, 0.91), (200, 0.95), (600, 0.3),
    (600, 0.02), (1000, 0.5), (1000, 0.001), (8191, 0.2), (8192, 0.2), (8193, 0.8),
    (10**6, 0.3), (10**6, 1e-6), (10**6, 0.999995), (10**6, 0.99), (10**6, 0.5),
    (3 * 10**9, 0.25),
]


@needs_kernel
@pytest.mark.parametrize(("n", "p"), BINOMIAL_CASES)
def test_binomial_fits_its_pmf(n, p):
    """Each (n, p), on both sides of every switch in the sampler, fits the binomial pmf near
    its mean (past 10^7, the normal limit's mean and variance), no draw beyond 12 sd."""
    sample = binomial([11, n, int(p * 1e6)], n, p, PMF_DRAWS)
    assert sample.min() >= 0
    assert sample.max() <= n
    if n > 10**7:  # too wide for a pmf table: the normal limit, by mean and variance
        m, v = n * p, n * p * (1 - p)
        assert abs(sample.mean() - m) < Z * np.sqrt(v / PMF_DRAWS)
        assert abs(sample.var() / v - 1) < Z * np.sqrt(2 / PMF_DRAWS)
        return
    lo = max(0, int(n * p - 12 * np.sqrt(n * p * (1 - p)) - 12))
    # only the support near the mean: shift the sample so the pmf table starts at lo
    hi = min(n, int(n * p + 12 * np.sqrt(n * p * (1 - p)) + 12))
    assert lo <= sample.min(), "a draw more than 12 sd below the mean"
    assert sample.max() <= hi, "a draw more than 12 sd above the mean"
    pmf = stats.binom.pmf(np.arange(lo, hi + 1), n, p)
    assert chi_square_pvalue(sample - lo, pmf) > ALPHA


@needs_kernel
def test_binomial_edges_are_exact():
    """n = 0, p = 0 and p = 1 draw exactly (n = 2^53 too), and every draw lies in [0, n]."""
    assert (binomial(1, 0, 0.3, 1000) == 0).all()
    assert (binomial(1, 10**6, 0.0, 1000) == 0).all()
    assert (binomial(1, 10**6, 1.0, 1000) == 10**6).all()
    assert (binomial(1, 2**53, 1.0, 10) == 2**53).all()
    n = np.arange(0, 5000)
    assert ((binomial(2, n, 0.5) >= 0) & (binomial(2, n, 0.5) <= n)).all()


@needs_kernel
def test_binomial_with_n_and_p_varying_by_element():
    """Every element its own (n, p): the probability integral transform of each draw, through
    the binomial cdf randomised within its step, is uniform on (0, 1)."""
    rng = np.random.default_rng(5)
    n = rng.integers(0, 3000, DRAWS)
    p = rng.beta(0.5, 0.5, DRAWS)
    k = binomial(6, n, p)
    u = rng.random(DRAWS)
    pit = stats.binom.cdf(k - 1, n, p) + u * stats.binom.pmf(k, n, p)
    assert stats.kstest(pit, "uniform").pvalue > ALPHA


@needs_kernel
def test_binomial_rejects_bad_input():
    """A negative n, p outside [0, 1] or NaN, n past 2^53, arrays of unequal length, or a
    capsule that is not a bit generator's: a ValueError."""
    bg = np.random.default_rng(0).bit_generator
    out = np.empty(1, np.int64)
    for n, p in [(-1, 0.5), (5, -0.1), (5, 1.5), (5, np.nan), (2**53 + 1, 0.5)]:
        with pytest.raises(ValueError, match="element 0"):
            kernel_binomial(bg.capsule, np.array([n]), np.array([p]), out)
    with pytest.raises(ValueError, match="one length"):
        kernel_binomial(bg.capsule, np.array([1, 2]), np.array([0.5]), out)
    with pytest.raises(ValueError, match="PyCapsule"):  # not a BitGenerator's capsule
        kernel_binomial(object(), np.array([1]), np.array([0.5]), out)


WEIGHTS = np.array([3.0, 0.0, 2.0, 1.0, 0.0, 4.0, 0.0])  # zeros anywhere, the last one too


@needs_kernel
def test_multinomial_marginals_and_covariance():
    """Rows sum to n, zero weights draw nothing, each column is Binomial(n, p_j), the
    covariances are -n p_i p_j, and sums of columns are binomial."""
    n = 500
    x = multinomial(np.random.default_rng(21), n, np.tile(WEIGHTS, (DRAWS, 1)))
    p = WEIGHTS / WEIGHTS.sum()
    assert (x.sum(axis=1) == n).all()
    assert (x[:, p == 0] == 0).all()
    for j in np.flatnonzero(p):  # each column is Binomial(n, p_j)
        assert chi_square_pvalue(x[:, j], binom_pmf(n, p[j])) > ALPHA
    # the covariance n (diag p - p p^T), each entry by a z test on its own sampling error
    centred = x - n * p
    for i, j in [(0, 2), (0, 3), (0, 5), (2, 5), (3, 5)]:
        products = centred[:, i] * centred[:, j]
        z = (products.mean() + n * p[i] * p[j]) / (products.std() / np.sqrt(DRAWS))
        assert abs(z) < Z, (i, j, z)
    # sums of columns are binomial too: a check of the covariances by their pmf
    for cols in ([0, 2], [3, 5], [0, 2, 3]):
        assert chi_square_pvalue(x[:, cols].sum(axis=1), binom_pmf(n, p[cols].sum())) > ALPHA


@needs_kernel
def test_multinomial_joint_pmf_on_a_small_case():
    """Four votes over three live options: the joint frequencies fit the multinomial pmf cell
    by cell, and no draw falls outside them."""
    n, w = 4, np.array([0.2, 0.0, 0.5, 0.3])
    x = multinomial(np.random.default_rng(22), n, np.tile(w, (DRAWS, 1)))
    cells, counts = np.unique(x, axis=0, return_counts=True)
    grid = np.array([(a, 0, b, n - a - b) for a in range(n + 1) for b in range(n + 1 - a)])
    pmf = stats.multinomial.pmf(grid, n, w)
    observed = np.zeros(len(grid))
    index = {tuple(g): i for i, g in enumerate(grid)}
    for c, k in zip(cells, counts, strict=True):
        observed[index[tuple(c)]] = k  # a cell outside the grid fails here
    assert stats.chisquare(observed, pmf * DRAWS).pvalue > ALPHA


@needs_kernel
def test_multinomial_rows_each_with_their_own_n_and_weights_conserve_votes():
    """Rows with their own n and weights (zeros, tiny weights, n = 0) conserve every vote, and
    the last positive weight takes what the options before it left."""
    rng = np.random.default_rng(23)
    m, c = 50_000, 7
    n = rng.integers(0, 5000, m)
    n[:100] = 0
    w = rng.gamma(0.5, size=(m, c)) * (rng.random((m, c)) < 0.7)
    w[w.sum(axis=1) == 0, 0] = 1.0  # a positive sum, as the simulation guarantees
    w[100:200] = 1e-300 * w[100:200]  # tiny but positive
    x = multinomial(rng, n, w)
    assert (x.sum(axis=1) == n).all()
    assert (x >= 0).all()
    assert (x[w == 0] == 0).all()
    # the last positive weight takes what the options before it left
    last = c - 1 - np.argmax((w > 0)[:, ::-1], axis=1)
    rows = np.arange(m)
    assert (x[rows, last] == n - np.where(np.arange(c) < last[:, None], x, 0).sum(axis=1)).all()


@needs_kernel
def test_multinomial_edge_rows():
    """One positive weight takes every vote; a row without a positive weight puts them in its
    last column, as the numpy chain does; n = 0 and no rows at all draw nothing."""
    rng = np.random.default_rng(24)
    w = np.array([[0.0, 0.0, 5.0, 0.0],  # one positive weight: it gets everything
                  [1.0, 1e-300, 0.0, 0.0],
                  [0.0, 0.0, 0.0, 0.0],  # no positive weight: the numpy chain's last column
                  [2.0, 1.0, 0.0, 1.0]])
    x = multinomial(rng, np.array([7, 10**6, 9, 0]), w)
    assert x[0].tolist() == [0, 0, 7, 0]
    assert x[1].sum() == 10**6
    assert x[1, 2:].tolist() == [0, 0]
    assert x[2].tolist() == [0, 0, 0, 9]
    assert x[3].tolist() == [0, 0, 0, 0]
    numpy_chain = np.empty_like(x)
    _draws._multinomial_chain_numpy(rng, np.array([7, 10**6, 9, 0]), w, numpy_chain)
    assert numpy_chain[[0, 2, 3]].tolist() == x[[0, 2, 3]].tolist()
    assert multinomial(rng, np.empty(0, np.int64), np.empty((0, 4))).shape == (0, 4)


@needs_kernel
def test_multinomial_rejects_bad_input():
    """A negative n, a negative, NaN or infinite weight, or buffers of unequal rows: a
    ValueError."""
    bg = np.random.default_rng(0).bit_generator
    out = np.empty((1, 3), np.int64)
    for n, w in [(-1, [1.0, 1.0, 1.0]), (5, [1.0, -1.0, 3.0]), (5, [1.0, np.nan, 1.0]),
                 (5, [np.inf, 1.0, 1.0])]:
        with pytest.raises(ValueError, match="row 0"):
            kernel_multinomial(bg.capsule, np.array([n]), np.array([w]), out)
    with pytest.raises(ValueError, match="aligned buffers"):
        kernel_multinomial(bg.capsule, np.array([1, 2]), np.ones((1, 3)), out)


@needs_kernel
def test_same_seed_same_bytes_and_generators_independent():
    """One seed draws the same bytes and another seed others; draws interleaved from two
    generators change neither one's stream."""
    rng = np.random.default_rng(30)
    n = rng.integers(0, 2000, 20_000)
    w = rng.gamma(2.0, size=(20_000, 7))
    a = multinomial(np.random.default_rng(31), n, w)
    b = multinomial(np.random.default_rng(31), n, w)
    assert a.tobytes() == b.tobytes()
    assert not np.array_equal(a, multinomial(np.random.default_rng(32), n, w))
    # interleaving draws from two generators changes neither
    g1, g2 = np.random.default_rng(31), np.random.default_rng(33)
    c1 = multinomial(g1, n[:5000], w[:5000])
    c2 = multinomial(g2, n, w)
    c3 = multinomial(g1, n[5000:], w[5000:])
    assert np.concatenate([c1, c3]).tobytes() == a.tobytes()
    assert c2.tobytes() == multinomial(np.random.default_rng(33), n, w).tobytes()


@needs_kernel
def test_two_threads_draw_what_one_thread_draws():
    """Two threads, each with its own generator, draw the bytes each would draw alone."""
    rng = np.random.default_rng(40)
    n = rng.integers(0, 2000, 100_000)
    w = rng.gamma(2.0, size=(100_000, 7))
    seeds = [41, 42]
    alone = [multinomial(np.random.default_rng(s), n, w) for s in seeds]
    together: list[np.ndarray | None] = [None, None]

    def draw(i: int) -> None:
        together[i] = multinomial(np.random.default_rng(seeds[i]), n, w)

    threads = [threading.Thread(target=draw, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(a.tobytes() == t.tobytes() for a, t in zip(alone, together, strict=True))


@needs_kernel
@pytest.mark.parametrize("bit_generator", [np.random.MT19937, np.random.Philox, np.random.SFC64])
def test_any_numpy_bit_generator_serves(bit_generator):
    """MT19937, Philox and SFC64 serve as well: rows sum to n, a zero weight draws nothing,
    the column mean is right."""
    g = np.random.Generator(bit_generator(50))
    x = multinomial(g, 1000, np.tile([1.0, 2.0, 0.0, 1.0], (DRAWS // 10, 1)))
    assert (x.sum(axis=1) == 1000).all()
    assert (x[:, 2] == 0).all()
    assert abs(x[:, 1].mean() - 500) < Z * np.sqrt(250 / x.shape[0])


# Both kernels of engine.simulation.draws; the compiled one where it is in use (not with
# SAYLAU_KERNEL=numpy, which the suite is also run with).
uses_kernel = pytest.mark.skipif(compiled is None, reason="the compiled draws are not in use")
CHAINS = [pytest.param(_draws._multinomial_chain_numpy, id="numpy"),
          pytest.param(getattr(_draws, "_multinomial_chain_c", None), id="c",
                       marks=uses_kernel)]
BINOMIALS = [pytest.param(_draws._binomial_numpy, id="numpy"),
             pytest.param(getattr(_draws, "_binomial_c", None), id="c", marks=uses_kernel)]


def test_the_active_kernel_is_named():
    """KERNEL names the draws in use, "c" with the compiled module and "numpy" without (or
    with SAYLAU_KERNEL=numpy), and the draw functions are that kernel's."""
    if compiled is None:
        assert _draws.KERNEL == "numpy"
        assert _draws._multinomial_chain is _draws._multinomial_chain_numpy
        assert _draws._binomial is _draws._binomial_numpy
    else:
        assert _draws.KERNEL == "c"
        assert _draws._multinomial_chain is _draws._multinomial_chain_c
        assert _draws._binomial is _draws._binomial_c


@pytest.mark.parametrize("chain", CHAINS)
def test_both_chains_draw_the_multinomial(chain):
    """Both multinomial chains conserve each row's votes, leave zero weights empty and give
    each column its binomial."""
    rng = np.random.default_rng(60)
    n = np.full((20, 1000), 300)
    w = np.broadcast_to(WEIGHTS, (20, 1000, WEIGHTS.size))
    out = np.empty((20, 1000, WEIGHTS.size), dtype=np.int64)
    chain(rng, n, w, out)
    p = WEIGHTS / WEIGHTS.sum()
    x = out.reshape(-1, WEIGHTS.size)
    assert (x.sum(axis=1) == 300).all()
    assert (x[:, p == 0] == 0).all()
    for j in np.flatnonzero(p):
        assert chi_square_pvalue(x[:, j], binom_pmf(300, p[j])) > ALPHA


@pytest.mark.parametrize("chain", CHAINS)
def test_both_chains_fill_an_output_of_any_layout(chain):
    """Both chains fill an output that is not C-contiguous, each row summing to its n."""
    rng = np.random.default_rng(61)
    n = rng.integers(0, 100, (4, 5))
    w = rng.random((4, 5, 3))
    out = np.empty((3, 5, 4), dtype=np.int64).transpose(2, 1, 0)  # not C-contiguous
    chain(rng, n, w, out)
    assert (out.sum(axis=-1) == n).all()


@pytest.mark.parametrize("binomial_fn", BINOMIALS)
def test_both_binomials_draw_the_binomial(binomial_fn):
    """Both binomials draw int64 counts of the shape asked, fitting Binomial(700, 0.6) and
    Binomial(700, 0.02)."""
    x = binomial_fn(np.random.default_rng(62), np.full((2, DRAWS // 2), 700),
                    np.array([0.6, 0.02])[:, None])
    assert x.shape == (2, DRAWS // 2)
    assert x.dtype == np.int64
    assert chi_square_pvalue(x[0], binom_pmf(700, 0.6)) > ALPHA
    assert chi_square_pvalue(x[1], binom_pmf(700, 0.02)) > ALPHA


def small_model() -> Model:
    race = np.arange(40) % 4
    return Model.build(race, np.full(40, 800), [3, 2, 3, 1], turnout_concentration=40.0)


@pytest.mark.parametrize("kernel", ["numpy", pytest.param("c", marks=uses_kernel)])
def test_precincts_on_either_kernel_are_valid_and_seeded(kernel, monkeypatch):
    """On either kernel, drawn precincts conserve their ballots, stay within their voters, give
    padded candidates nothing, and are drawn again the same from the same seed."""
    if kernel == "numpy":
        monkeypatch.setattr(_draws, "_binomial", _draws._binomial_numpy)
        monkeypatch.setattr(_draws, "_multinomial_chain", _draws._multinomial_chain_numpy)
    model = small_model()

    def draw(seed: int) -> tuple[np.ndarray, ...]:
        rng = np.random.default_rng(seed)
        t, s = _draws.race_means(model, rng, 64)
        return _draws.precincts(model, rng, t, s)

    turnout, cast, invalid, votes = draw(70)
    assert votes.shape == (64, 40, model.k + 1)
    assert (votes.sum(axis=-1) + invalid == cast).all()
    assert (invalid >= 0).all()
    assert (cast <= model.registered).all()
    padded = np.arange(model.k)[None, :] >= model.n_candidates[model.race][:, None]
    assert (votes[:, :, :model.k][:, padded] == 0).all()
    again = draw(70)
    assert all(a.tobytes() == b.tobytes() for a, b in zip(again, (turnout, cast, invalid, votes),
                                                              strict=True))


def test_without_the_compiled_module_the_numpy_kernel_draws(tmp_path):
    """Without the compiled module (an install without a compiler) the numpy kernel is chosen
    and draws elections that add up."""
    script = (
        "import sys\n"
        "sys.modules['engine.tally._kernels'] = None  # as if built without a compiler\n"
        "import numpy as np\n"
        "from engine.simulation import draws as _draws\n"
        "from engine.simulation.draws import draw\n"
        "from engine.simulation.model import Model\n"
        "assert _draws.KERNEL == 'numpy', _draws.KERNEL\n"
        "m = Model.build(np.arange(6) % 2, np.full(6, 500), [2, 3])\n"
        "d = draw(m, 64, np.random.default_rng(1), np.random.default_rng(2))\n"
        "assert (d.votes.sum(-1) + d.invalid == d.cast).all()\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=tmp_path, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_the_simulation_benchmark_checks_its_contenders_and_prints_every_ratio(tmp_path, capsys):
    """The simulation benchmark on tiny sizes checks that one and two threads agree, and prints
    and saves every ratio."""
    sys.path.append(str(ROOT))  # benchmarks/ is not installed
    from benchmarks import simulate_bench

    out = tmp_path / "simulation.json"
    code = simulate_bench.main(["--precincts", "60", "--races", "20", "--votes-runs", "130",
                                "--runs", "130", "--repeat", "1", "--json", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "ratio, saylau on 2 threads / one-thread multinomial" in printed
    assert "--jobs 1 and --jobs 2 give identical Summaries: yes" in printed
    figures = json.loads(out.read_text())
    assert figures["votes"]["precincts"] == 60
    assert figures["votes"]["ratio_2_threads"] > 0
    assert set(figures["simulation"]["seconds"]) == {"1", "2"}
    assert "win_count" in figures["simulation"]["compared"]


def _unaligned(a: np.ndarray) -> np.ndarray:
    """``a``'s values one byte off alignment (as a model unpickled from a Dask message)."""
    raw = np.zeros(a.nbytes + 1, np.uint8)
    out = np.frombuffer(raw.data[1:], dtype=a.dtype).reshape(a.shape)
    out[...] = a
    return out


def test_unaligned_inputs_draw_what_aligned_ones_draw():
    """The draws' kernel wrappers copy unaligned counts and weights, and draw the same
    numbers from the same seed (whichever kernel is built)."""
    n = np.array([0, 5, 300, 10_000], np.int64)
    p = np.array([0.5, 0.1, 0.7, 0.01])
    w = np.array([[1.0, 2.0, 3.0], [0.0, 1.0, 0.0], [0.2, 0.2, 0.6], [5.0, 0.0, 1.0]])
    assert not _unaligned(n).flags.aligned
    first = _draws.binomial(np.random.default_rng(8), n, p)
    assert _draws.binomial(np.random.default_rng(8), _unaligned(n), _unaligned(p)).tolist() \
        == first.tolist()
    a, b = np.empty((4, 3), np.int64), np.empty((4, 3), np.int64)
    _draws._multinomial_chain(np.random.default_rng(9), n, w, a)
    _draws._multinomial_chain(np.random.default_rng(9), _unaligned(n), _unaligned(w), b)
    assert a.tolist() == b.tolist()
    assert a.sum(axis=1).tolist() == n.tolist()
