/*
 * engine._kernels: the two hot loops of the tally core, and the simulation's binomial and
 * multinomial draws, in C.
 *
 * count(codes, offsets, n_codes, out): ballots -> counts per race, reached only through
 * engine.ballots.count_codes;
 * group_sum(values, group, lo, hi, n_cols, out): precinct rows -> sums per race (or
 * area) for the groups in [lo, hi), reached only through engine.tally.sum_by_group,
 * which may run two group ranges on two threads (the GIL is released);
 * binomial and multinomial: see "Random draws" below, reached only through engine._draws.
 * The Python front doors validate shapes and dtypes first. The module speaks the buffer
 * protocol only, so it builds without numpy headers. For count:
 *
 *   codes   : bytes-like, N uint8 option codes
 *   offsets : bytes-like, R + 1 native int64; race r is codes[offsets[r]:offsets[r + 1]]
 *   n_codes : int in [1, 256]
 *   out     : writable bytes-like, R * n_codes native int64 (C order), overwritten
 *
 * Returns None, or (race, code) for the first race holding a code >= n_codes (the
 * smallest such code in it); out is then only partly written.
 *
 * Each race is counted into 256-entry tables; long races use NTAB interleaved
 * tables so that consecutive equal codes (two options: nearly all of them) do not
 * wait on each other's store -> load round trip. Bad codes show up as counts that
 * do not add up to the race length, so they cost no extra pass over the data.
 * The GIL is released while counting.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(_WIN32)
#include <windows.h>
#else
#include <pthread.h>
#endif

/* Checked int64 arithmetic: true when the exact result does not fit (it is then not stored as
   a wrapped value anyone reads). GCC and Clang have it built in; elsewhere it is spelled out. */
#if defined(__GNUC__) || defined(__clang__)
#define ADD_OVERFLOW(a, b, r) __builtin_add_overflow((a), (b), (r))
#define MUL_OVERFLOW(a, b, r) __builtin_mul_overflow((a), (b), (r))
#else
static int
ADD_OVERFLOW(int64_t a, int64_t b, int64_t *r)
{
    if ((b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b)) {
        return 1;
    }
    *r = a + b;
    return 0;
}
static int
MUL_OVERFLOW(int64_t a, int64_t b, int64_t *r)
{
    /* CERT C INT32-C */
    if (a > 0 ? (b > 0 ? a > INT64_MAX / b : b < INT64_MIN / a)
              : (b > 0 ? a < INT64_MIN / b : (a != 0 && a < INT64_MAX / b))) {
        return 1;
    }
    *r = a * b;
    return 0;
}
#endif

/* The bytes of n items of size bytes each, or -1 when that does not fit. */
static int64_t
checked_bytes(int64_t n, int64_t items, int64_t size)
{
    int64_t cells, bytes;
    if (n < 0 || items < 0 || MUL_OVERFLOW(n, items, &cells) ||
        MUL_OVERFLOW(cells, size, &bytes)) {
        return -1;
    }
    return bytes;
}

#define NTAB 8      /* interleaved sub-tables: one per byte of a 64-bit word */
#define FEW 16      /* up to this many codes, compare-and-count beats the tables */
#define FEW_MIN 256 /* ... on races at least this long */

typedef struct {
    uint64_t t[NTAB][256];
} tables;

/* Count n codes into the NTAB tables (long races). */
static void
count_wide(const uint8_t *p, int64_t n, tables *tb)
{
    uint64_t (*t)[256] = tb->t;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        uint64_t a, b;
        memcpy(&a, p + i, 8);
        memcpy(&b, p + i + 8, 8);
        /* byte order does not matter: every byte lands in some table and all are summed */
        t[0][a & 0xff]++;
        t[1][(a >> 8) & 0xff]++;
        t[2][(a >> 16) & 0xff]++;
        t[3][(a >> 24) & 0xff]++;
        t[4][(a >> 32) & 0xff]++;
        t[5][(a >> 40) & 0xff]++;
        t[6][(a >> 48) & 0xff]++;
        t[7][a >> 56]++;
        t[0][b & 0xff]++;
        t[1][(b >> 8) & 0xff]++;
        t[2][(b >> 16) & 0xff]++;
        t[3][(b >> 24) & 0xff]++;
        t[4][(b >> 32) & 0xff]++;
        t[5][(b >> 40) & 0xff]++;
        t[6][(b >> 48) & 0xff]++;
        t[7][b >> 56]++;
    }
    for (; i < n; i++) {
        t[0][p[i]]++;
    }
}

#if defined(__GNUC__) || defined(__clang__)
/* GCC/Clang vector extensions: plain SSE2 / NEON code by default, no intrinsics headers. */
#define HAVE_VEC 1
#define VW 32 /* bytes per vector: one AVX2 register, or two SSE2 / NEON registers */
typedef uint8_t u8xV __attribute__((vector_size(VW)));

/* x86-64 Linux with GCC: also build an AVX2 copy of count_few, picked at load time. */
#if defined(__x86_64__) && defined(__linux__) && !defined(__clang__) && __GNUC__ >= 8
#define CLONES __attribute__((target_clones("avx2", "default")))
#else
#define CLONES
#endif

/* Set o[k] to the number of codes k in p[0..n), for k < n_codes <= FEW, by comparing
   VW codes at a time with 4 codes per load. Codes >= n_codes are not counted anywhere. */
CLONES static void
count_few(const uint8_t *p, int64_t n, int n_codes, int64_t *o)
{
    int64_t i = 0;
    memset(o, 0, (size_t)n_codes * sizeof *o);
    while (n - i >= VW) {
        /* a block of at most 255 vectors: byte lanes cannot overflow, and the block
           stays in L1 while it is read once per group of 4 codes */
        int64_t m = (n - i) / VW < 255 ? (n - i) / VW : 255;
        const uint8_t *q = p + i;
        for (int k = 0; k < n_codes; k += 4) {
            const u8xV zero = {0};
            u8xV c0 = zero + (uint8_t)k, c1 = zero + (uint8_t)(k + 1);
            u8xV c2 = zero + (uint8_t)(k + 2), c3 = zero + (uint8_t)(k + 3);
            u8xV a[4] = {zero, zero, zero, zero};
            uint8_t lanes[4][VW];
            for (int64_t j = 0; j < m; j++) {
                u8xV v;
                memcpy(&v, q + VW * j, VW);
                /* a true comparison is all ones (-1): subtracting it adds 1 */
                a[0] -= (u8xV)(v == c0);
                a[1] -= (u8xV)(v == c1);
                a[2] -= (u8xV)(v == c2);
                a[3] -= (u8xV)(v == c3);
            }
            memcpy(lanes, a, sizeof lanes);
            for (int g = 0; g < 4 && k + g < n_codes; g++) {
                for (int j = 0; j < VW; j++) {
                    o[k + g] += lanes[g][j];
                }
            }
        }
        i += VW * m;
    }
    for (; i < n; i++) {
        if (p[i] < n_codes) {
            o[p[i]]++;
        }
    }
}
#endif

/* Sum the first n_codes entries of the first ntab tables into o, zeroing them;
   returns the total. */
static int64_t
drain(tables *tb, int ntab, int n_codes, int64_t *o)
{
    int64_t total = 0;
    for (int k = 0; k < n_codes; k++) {
        uint64_t s = 0;
        for (int j = 0; j < ntab; j++) {
            s += tb->t[j][k];
            tb->t[j][k] = 0;
        }
        o[k] = (int64_t)s;
        total += (int64_t)s;
    }
    return total;
}

/* The smallest code >= n_codes with a nonzero count in any table. */
static int
first_bad(const tables *tb, int n_codes)
{
    for (int k = n_codes; k < 256; k++) {
        for (int j = 0; j < NTAB; j++) {
            if (tb->t[j][k] != 0) {
                return k;
            }
        }
    }
    return -1; /* unreachable when the counts did not add up */
}

/* Count race p[0..n) into o (n_codes entries); returns the number counted, which falls
   short of n exactly when a code >= n_codes is present (then left in the tables). */
static int64_t
count_race(const uint8_t *p, int64_t n, int n_codes, int64_t *o, tables *tb)
{
#ifdef HAVE_VEC
    if (n_codes <= FEW && n >= FEW_MIN) {
        int64_t total = 0;
        count_few(p, n, n_codes, o);
        for (int k = 0; k < n_codes; k++) {
            total += o[k];
        }
        if (total != n) { /* a bad code: a second look at this race puts it in the tables */
            for (int64_t i = 0; i < n; i++) {
                tb->t[0][p[i]]++;
            }
        }
        return total;
    }
#endif
    /* one table when combining NTAB tables would cost more than it saves */
    if (n < 2 * NTAB * (int64_t)n_codes) {
        uint64_t *t0 = tb->t[0];
        for (int64_t i = 0; i < n; i++) {
            t0[p[i]]++;
        }
        return drain(tb, 1, n_codes, o);
    }
    count_wide(p, n, tb);
    return drain(tb, NTAB, n_codes, o);
}

/* Count every race; returns the index of the first race with a bad code, or -1. */
static int64_t
count_races(const uint8_t *codes, const int64_t *off, int64_t n_races, int n_codes,
            int64_t *out, tables *tb, int *bad_code)
{
    for (int64_t r = 0; r < n_races; r++) {
        int64_t n = off[r + 1] - off[r];
        if (count_race(codes + off[r], n, n_codes, out + r * n_codes, tb) != n) {
            *bad_code = first_bad(tb, n_codes);
            return r;
        }
    }
    return -1;
}

static PyObject *
kernels_count(PyObject *Py_UNUSED(module), PyObject *args)
{
    Py_buffer codes, offsets, out;
    int n_codes;
    PyObject *result = NULL;
    tables *tb = NULL;

    if (!PyArg_ParseTuple(args, "y*y*iw*:count", &codes, &offsets, &n_codes, &out)) {
        return NULL;
    }
    const int64_t *off = (const int64_t *)offsets.buf;
    int64_t n = (int64_t)codes.len;
    int64_t n_races = (int64_t)(offsets.len / 8) - 1;

    if (n_codes < 1 || n_codes > 256) {
        PyErr_Format(PyExc_ValueError, "n_codes must be in [1, 256], got %d", n_codes);
        goto done;
    }
    if (offsets.len % 8 != 0 || n_races < 0 || ((uintptr_t)offsets.buf % 8) != 0) {
        PyErr_SetString(PyExc_ValueError, "offsets must be an aligned buffer of R + 1 int64");
        goto done;
    }
    if (checked_bytes(n_races, n_codes, 8) != (int64_t)out.len || ((uintptr_t)out.buf % 8) != 0) {
        PyErr_Format(PyExc_ValueError,
                     "out must be an aligned buffer of R * n_codes int64 (R = %lld, n_codes = "
                     "%d), got %zd bytes",
                     (long long)n_races, n_codes, out.len);
        goto done;
    }
    /* memory safety does not rest on the Python front door: check the offsets here too */
    if (off[0] != 0 || off[n_races] != n) {
        PyErr_Format(PyExc_ValueError, "offsets must run from 0 to %lld", (long long)n);
        goto done;
    }
    for (int64_t r = 0; r < n_races; r++) {
        if (off[r + 1] < off[r]) {
            PyErr_Format(PyExc_ValueError, "offsets decrease at %lld", (long long)(r + 1));
            goto done;
        }
    }
    tb = PyMem_Calloc(1, sizeof(tables));
    if (tb == NULL) {
        PyErr_NoMemory();
        goto done;
    }

    int64_t bad_race;
    int bad_code = -1;
    Py_BEGIN_ALLOW_THREADS
    bad_race = count_races((const uint8_t *)codes.buf, off, n_races, n_codes,
                           (int64_t *)out.buf, tb, &bad_code);
    Py_END_ALLOW_THREADS

    if (bad_race < 0) {
        result = Py_NewRef(Py_None);
    }
    else {
        result = Py_BuildValue("(Li)", (long long)bad_race, bad_code);
    }

done:
    PyMem_Free(tb);
    PyBuffer_Release(&codes);
    PyBuffer_Release(&offsets);
    PyBuffer_Release(&out);
    return result;
}

/* out[group[p] - lo, :] += values[p, :] for the rows p whose group is in [lo, hi), with NC
   columns known at compile time (the common widths) so the row add is unrolled. Returns the
   number of rows summed: n_rows when [lo, hi) covers every group. The group's offset is taken
   in unsigned arithmetic (a group far outside [lo, hi) wraps to a large offset, which is
   skipped, instead of overflowing), and every add is checked: *overflow is set when a sum
   does not fit int64 (the caller reports it; the sums are then not used): by the compiler's
   checked add for the unrolled widths, and for other widths by a wrapping unsigned add
   (defined behaviour) and the sign rule of two's complement (a + b overflowed exactly when
   the result's sign differs from the signs of a and b), which the loop can vectorise. Both
   cost 10-20% of the pass (measured beside the unchecked loop, 10^6 rows). */
#define GROUP_SUM(NAME, NC)                                                                 \
    static int64_t NAME(const int64_t *v, const int64_t *g, int64_t n_rows, int64_t n_cols, \
                        int64_t lo, int64_t hi, int64_t *out, int *overflow)                \
    {                                                                                       \
        const int64_t nc = (NC) ? (NC) : n_cols;                                            \
        const uint64_t width = (uint64_t)hi - (uint64_t)lo;                                 \
        int64_t summed = 0;                                                                 \
        uint64_t over = 0;                                                                  \
        for (int64_t p = 0; p < n_rows; p++) {                                              \
            uint64_t k = (uint64_t)g[p] - (uint64_t)lo;                                     \
            if (k < width) {                                                                \
                int64_t *o = out + (int64_t)k * nc;                                         \
                const int64_t *x = v + p * nc;                                              \
                for (int64_t c = 0; c < nc; c++) {                                          \
                    if (NC) { /* unrolled: the compiler's checked add is the faster */      \
                        int64_t r;                                                          \
                        over |= (uint64_t)ADD_OVERFLOW(o[c], x[c], &r) << 63;               \
                        o[c] = r;                                                           \
                    }                                                                       \
                    else { /* a loop: a wrapping add and the sign rule vectorise */         \
                        const uint64_t a = (uint64_t)o[c], b = (uint64_t)x[c], r = a + b;   \
                        over |= (a ^ r) & (b ^ r);                                          \
                        o[c] = (int64_t)r;                                                  \
                    }                                                                       \
                }                                                                           \
                summed++;                                                                   \
            }                                                                               \
        }                                                                                   \
        *overflow = (int)(over >> 63);                                                      \
        return summed;                                                                      \
    }

GROUP_SUM(group_sum_any, 0)
GROUP_SUM(group_sum_4, 4)
GROUP_SUM(group_sum_5, 5)
GROUP_SUM(group_sum_6, 6)
GROUP_SUM(group_sum_7, 7)
GROUP_SUM(group_sum_8, 8)
GROUP_SUM(group_sum_9, 9)
GROUP_SUM(group_sum_10, 10)
GROUP_SUM(group_sum_11, 11)
GROUP_SUM(group_sum_12, 12)

typedef int64_t (*group_sum_fn)(const int64_t *, const int64_t *, int64_t, int64_t, int64_t,
                                int64_t, int64_t *, int *);

static PyObject *
kernels_group_sum(PyObject *Py_UNUSED(module), PyObject *args)
{
    static const group_sum_fn fixed[] = {
        group_sum_4, group_sum_5, group_sum_6,  group_sum_7, group_sum_8,
        group_sum_9, group_sum_10, group_sum_11, group_sum_12,
    };
    Py_buffer values, group, out;
    long long lo, hi, n_cols;
    PyObject *result = NULL;

    if (!PyArg_ParseTuple(args, "y*y*LLLw*:group_sum", &values, &group, &lo, &hi, &n_cols,
                          &out)) {
        return NULL;
    }
    int64_t n_rows = (int64_t)(group.len / 8);
    int64_t width = 0;
    /* every size in checked arithmetic: no product or difference may wrap */
    const int sizes_ok = hi >= lo && lo != INT64_MIN &&
                         !ADD_OVERFLOW((int64_t)hi, -(int64_t)lo, &width) && n_cols >= 1 &&
                         group.len % 8 == 0 &&
                         checked_bytes(n_rows, n_cols, 8) == (int64_t)values.len &&
                         checked_bytes(width, n_cols, 8) == (int64_t)out.len;
    if (!sizes_ok ||
        ((uintptr_t)values.buf | (uintptr_t)group.buf | (uintptr_t)out.buf) % 8 != 0) {
        PyErr_SetString(PyExc_ValueError,
                        "group_sum: values (P * C), group (P) and out ((hi - lo) * C) must "
                        "be aligned int64 buffers");
        goto done;
    }
    group_sum_fn fn = (n_cols >= 4 && n_cols <= 12) ? fixed[n_cols - 4] : group_sum_any;
    int64_t summed;
    int overflow = 0;
    Py_BEGIN_ALLOW_THREADS
    memset(out.buf, 0, (size_t)out.len);
    summed = fn((const int64_t *)values.buf, (const int64_t *)group.buf, n_rows,
                (int64_t)n_cols, (int64_t)lo, (int64_t)hi, (int64_t *)out.buf, &overflow);
    Py_END_ALLOW_THREADS
    if (overflow) {
        PyErr_SetString(PyExc_OverflowError,
                        "group_sum: a sum passes the int64 range (counts too large to add "
                        "exactly)");
        goto done;
    }
    result = PyLong_FromLongLong((long long)summed);
done:
    PyBuffer_Release(&values);
    PyBuffer_Release(&group);
    PyBuffer_Release(&out);
    return result;
}

/* ---- Random draws: exact binomial and multinomial on a numpy BitGenerator ----------------
 *
 * binomial(capsule, n, p, out) and multinomial(capsule, n, weights, out), reached only through
 * engine._draws. capsule is a numpy BitGenerator's ``capsule`` ("BitGenerator", a bitgen_t,
 * declared below as numpy declares it, so neither numpy's headers nor its npyrandom library
 * are needed); the caller holds the generator's lock. The draws release the GIL, so blocks of
 * runs with their own generators run in parallel on a thread pool above.
 *
 * Binomial(n, p), exact for every 0 <= n <= 2^53 and p in [0, 1], by p' = min(p, 1 - p)
 * (p > 1/2 draws n - Binomial(n, 1 - p), 1 - p being exact there):
 *   n p' < 10: inversion, walking the pmf up from P(0) = (1 - p')^n (BINV of Kachitvichyanukul
 *     and Schmeiser, "Binomial random variate generation", CACM 31(2), 1988, as numpy does);
 *   n p' >= 10: BTRS, transformed rejection with squeeze, W. Hörmann, "The generation of
 *     binomial random variates", J. Statist. Comput. Simul. 46 (1993) 101-110, as TensorFlow
 *     and JAX write it. Two uniforms give a candidate k; 2/3 to 4/5 of them are accepted by
 *     the squeeze alone, the others by comparing with log f(k) / f(mode), f the pmf, written
 *     with log-factorials: tabulated for n < 8192 (one log per test), else by Stirling's
 *     formula plus its error (tabulated for k < 10, the series to x^-11 above).
 * Rejection and inversion are exact samplers; the only departures are the rounding of the pmf
 * terms (relative errors < 1e-10), which no sample of feasible size can show.
 */

typedef struct {
    void *state;
    uint64_t (*next_uint64)(void *st);
    uint32_t (*next_uint32)(void *st);
    double (*next_double)(void *st);
    uint64_t (*next_raw)(void *st);
} bitgen_t;

static inline double
uniform(bitgen_t *bg)
{
    return bg->next_double(bg->state); /* [0, 1), 53 bits */
}

/* log(k!) - [(k + 1/2) log(k + 1) - (k + 1) + log(2 pi) / 2], the error of Stirling's formula
   for log Gamma(k + 1), k >= 0 a whole number. */
static double
stirling_tail(double k)
{
    static const double table[10] = {
        0.08106146679532726, 0.0413406959554093,   0.02767792568499834,
        0.020790672103765093, 0.016644691189821193, 0.013876128823070748,
        0.01189670994589177,  0.010411265261972096, 0.009255462182712733,
        0.00833056343336287,
    };
    if (k < 10) {
        return table[(int)k];
    }
    const double y = 1.0 / (k + 1), y2 = y * y; /* 1 / x for x = k + 1 >= 11 */
    /* 1/(12x) - 1/(360x^3) + 1/(1260x^5) - 1/(1680x^7) + 1/(1188x^9) - 691/(360360x^11) */
    return y * (1.0 / 12 -
                y2 * (1.0 / 360 -
                      y2 * (1.0 / 1260 -
                            y2 * (1.0 / 1680 - y2 * (1.0 / 1188 - y2 * (691.0 / 360360))))));
}

/* Binomial(n, p) for n >= 1, 0 < p <= 1/2, n p < 10: inversion. */
static int64_t
binomial_inversion(bitgen_t *bg, int64_t n, double p)
{
    const double q = 1.0 - p;
    const double r = p / q, g = r * ((double)n + 1);
    const double p0 = exp((double)n * log1p(-p));
    for (;;) {
        double u = uniform(bg), px = p0;
        int64_t x = 0;
        /* P(x) = P(x - 1) (n - x + 1) p / (x q); the walk takes n p + 1 steps on average. When
           u lands in the few ulps the rounded pmf misses, or past where the pmf underflows
           (values of probability < 1e-300), start over rather than return a wrong value. */
        while (u > px) {
            u -= px;
            if (++x > n) {
                break;
            }
            px *= g / (double)x - r;
            if (!(px > 0)) {
                break;
            }
        }
        if (x <= n && px > 0 && u <= px) {
            return x;
        }
    }
}

/* log k! for k < LOG_FACTORIALS, from lgammal (rounded once to double), filled once when the
   module is first initialised (fill_log_factorials, run exactly once per process however many
   interpreters import the module) and only read afterwards, so draws on threads without the
   GIL share it without a race. With it BTRS's full test needs one log instead of three; its
   value is then off by < 3e-11 (four entries of at most ~6.6e4, each within half an ulp), a
   change of the acceptance probability far below anything a sample could show. Larger n use
   Stirling's formula (off by < 1e-15). */
#define LOG_FACTORIALS 8192
static double log_factorial[LOG_FACTORIALS];

static void
fill_log_factorials_once(void)
{
    for (int k = 0; k < LOG_FACTORIALS; k++) {
        log_factorial[k] = (double)lgammal((long double)k + 1);
    }
}

#if defined(_WIN32)
static INIT_ONCE log_factorials_once = INIT_ONCE_STATIC_INIT;

static BOOL CALLBACK
fill_log_factorials_win(PINIT_ONCE once, PVOID param, PVOID *context)
{
    (void)once, (void)param, (void)context;
    fill_log_factorials_once();
    return TRUE;
}

static void
fill_log_factorials(void)
{
    InitOnceExecuteOnce(&log_factorials_once, fill_log_factorials_win, NULL, NULL);
}
#else
static pthread_once_t log_factorials_once = PTHREAD_ONCE_INIT;

static void
fill_log_factorials(void)
{
    pthread_once(&log_factorials_once, fill_log_factorials_once);
}
#endif

/* Binomial(n, p) for 0 < p <= 1/2, n p >= 10: Hörmann's BTRS. */
static int64_t
binomial_btrs(bitgen_t *bg, int64_t n, double p)
{
    const double dn = (double)n, q = 1.0 - p;
    const double spq = sqrt(dn * p * q);
    const double b = 1.15 + 2.53 * spq;
    const double a = -0.0873 + 0.0248 * b + 0.01 * p;
    const double c = dn * p + 0.5;
    const double v_r = 0.92 - 4.2 / b;
    const int tabulated = n < LOG_FACTORIALS;
    /* the full test's constants, set up when first needed (2/3 of the draws or more pass the
       squeeze): alpha, the mode m, log r or r = p / q, and the mode's terms of the test */
    int ready = 0;
    double alpha = 0, m = 0, r = 0, head = 0;
    for (;;) {
        const double u = uniform(bg) - 0.5;
        double v = uniform(bg);
        const double us = 0.5 - fabs(u);
        const double k = floor((2.0 * a / us + b) * u + c); /* us == 0 gives -inf */
        if (!(k >= 0 && k <= dn)) {
            continue;
        }
        if (us >= 0.07 && v <= v_r) { /* the squeeze: inside the acceptance region */
            return (int64_t)k;
        }
        if (!ready) {
            alpha = (2.83 + 5.1 / b) * spq;
            m = floor((dn + 1) * p);
            if (tabulated) {
                r = log(p / q);
                head = log_factorial[(int64_t)m] + log_factorial[n - (int64_t)m];
            }
            else {
                r = p / q;
                head = (m + 0.5) * log((m + 1) / (r * (dn - m + 1))) + stirling_tail(m) +
                       stirling_tail(dn - m);
            }
            ready = 1;
        }
        v = log(v * alpha / (a / (us * us) + b));
        /* log f(k) / f(m) = log m! (n - m)! - log k! (n - k)! + (k - m) log r */
        double bound;
        if (tabulated) {
            const int64_t i = (int64_t)k;
            bound = head - log_factorial[i] - log_factorial[n - i] + (k - m) * r;
        }
        else { /* the same by Stirling's formula, as TensorFlow writes it */
            bound = head + (dn + 1) * log((dn - m + 1) / (dn - k + 1)) +
                    (k + 0.5) * log(r * (dn - k + 1) / (k + 1)) - stirling_tail(k) -
                    stirling_tail(dn - k);
        }
        if (v <= bound) {
            return (int64_t)k;
        }
    }
}

/* Binomial(n, p), n >= 0, p in [0, 1] (checked by the callers). */
static int64_t
binomial(bitgen_t *bg, int64_t n, double p)
{
    if (n == 0 || p == 0) {
        return 0;
    }
    if (p == 1) {
        return n;
    }
    if (p > 0.5) { /* 1 - p is exact here */
        const double q = 1.0 - p;
        return n - ((double)n * q < 10 ? binomial_inversion(bg, n, q) : binomial_btrs(bg, n, q));
    }
    return (double)n * p < 10 ? binomial_inversion(bg, n, p) : binomial_btrs(bg, n, p);
}

/* Counts up to 2^53, where a double still holds every whole number. */
#define MAX_N ((int64_t)1 << 53)

/* out[i] = Binomial(n[i], p[i]); returns -1, or the first i with n outside [0, MAX_N] or p
   outside [0, 1]. */
static int64_t
binomial_rows(bitgen_t *bg, const int64_t *n, const double *p, int64_t m, int64_t *out)
{
    for (int64_t i = 0; i < m; i++) {
        if (n[i] < 0 || n[i] > MAX_N || !(p[i] >= 0 && p[i] <= 1)) {
            return i;
        }
        out[i] = binomial(bg, n[i], p[i]);
    }
    return -1;
}

/* Multinomial rows by conditional binomials, as engine._draws._multinomial_chain documents:
   option j gets Binomial(rest, w_j / (w_j + ... + w_last)), the suffix sums added from the
   last column as numpy's reversed cumsum adds them. The last positive weight's ratio is then
   exactly 1, so it takes all that is left, and a zero weight gets exactly 0; a row of zero
   weights puts its n in the last column, like the numpy chain. suffix: C doubles of scratch.
   Returns -1, or the first row with n outside [0, MAX_N] or a weight not finite and >= 0. */
static int64_t
multinomial_rows(bitgen_t *bg, const int64_t *n, const double *w, int64_t m, int64_t nc,
                 int64_t *out, double *suffix)
{
    for (int64_t i = 0; i < m; i++, w += nc, out += nc) {
        int64_t rest = n[i];
        double s = 0;
        if (rest < 0 || rest > MAX_N) {
            return i;
        }
        for (int64_t j = nc - 1; j >= 0; j--) {
            if (!(w[j] >= 0 && w[j] <= DBL_MAX)) {
                return i;
            }
            s += w[j];
            suffix[j] = s;
        }
        for (int64_t j = 0; j < nc - 1; j++) {
            int64_t k = 0;
            /* w_j <= suffix_j, so the ratio is in [0, 1]; nothing is left past the last
               positive weight (a suffix of 0), and an overflowed (inf) suffix gives 0 too */
            if (rest > 0 && suffix[j] > 0) {
                k = binomial(bg, rest, w[j] / suffix[j]);
            }
            out[j] = k;
            rest -= k;
        }
        out[nc - 1] = rest;
    }
    return -1;
}

/* The bitgen_t of a numpy BitGenerator's capsule, or NULL with an exception set. */
static bitgen_t *
get_bitgen(PyObject *capsule)
{
    return (bitgen_t *)PyCapsule_GetPointer(capsule, "BitGenerator");
}

static PyObject *
kernels_binomial(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *capsule;
    Py_buffer n, p, out;
    PyObject *result = NULL;

    if (!PyArg_ParseTuple(args, "Oy*y*w*:binomial", &capsule, &n, &p, &out)) {
        return NULL;
    }
    bitgen_t *bg = get_bitgen(capsule);
    if (bg == NULL) {
        goto done;
    }
    int64_t m = (int64_t)(n.len / 8);
    if (n.len % 8 != 0 || p.len != n.len || out.len != n.len ||
        ((uintptr_t)n.buf | (uintptr_t)p.buf | (uintptr_t)out.buf) % 8 != 0) {
        PyErr_SetString(PyExc_ValueError,
                        "binomial: n (int64), p (float64) and out (int64) must be aligned "
                        "buffers of one length");
        goto done;
    }
    int64_t bad;
    Py_BEGIN_ALLOW_THREADS
    bad = binomial_rows(bg, (const int64_t *)n.buf, (const double *)p.buf, m,
                        (int64_t *)out.buf);
    Py_END_ALLOW_THREADS
    if (bad >= 0) {
        PyErr_Format(PyExc_ValueError,
                     "binomial: element %lld: n must be in [0, 2^53] and p in [0, 1]",
                     (long long)bad);
        goto done;
    }
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&n);
    PyBuffer_Release(&p);
    PyBuffer_Release(&out);
    return result;
}

static PyObject *
kernels_multinomial(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *capsule;
    Py_buffer n, w, out;
    PyObject *result = NULL;
    double *suffix = NULL;

    if (!PyArg_ParseTuple(args, "Oy*y*w*:multinomial", &capsule, &n, &w, &out)) {
        return NULL;
    }
    bitgen_t *bg = get_bitgen(capsule);
    if (bg == NULL) {
        goto done;
    }
    int64_t m = (int64_t)(n.len / 8);
    int64_t nc = m > 0 ? (int64_t)(w.len / 8) / m : 0;
    const int shape_ok = m > 0 ? nc >= 1 && w.len == m * nc * 8 : w.len == 0;
    if (n.len % 8 != 0 || out.len != w.len || !shape_ok ||
        ((uintptr_t)n.buf | (uintptr_t)w.buf | (uintptr_t)out.buf) % 8 != 0) {
        PyErr_SetString(PyExc_ValueError,
                        "multinomial: n (M int64), weights (M * C float64) and out (M * C "
                        "int64) must be aligned buffers, C >= 1");
        goto done;
    }
    suffix = PyMem_Malloc((size_t)(nc > 0 ? nc : 1) * sizeof *suffix);
    if (suffix == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    int64_t bad;
    Py_BEGIN_ALLOW_THREADS
    bad = multinomial_rows(bg, (const int64_t *)n.buf, (const double *)w.buf, m, nc,
                           (int64_t *)out.buf, suffix);
    Py_END_ALLOW_THREADS
    if (bad >= 0) {
        PyErr_Format(PyExc_ValueError,
                     "multinomial: row %lld: n must be in [0, 2^53] and the weights finite "
                     "and >= 0",
                     (long long)bad);
        goto done;
    }
    result = Py_NewRef(Py_None);
done:
    PyMem_Free(suffix);
    PyBuffer_Release(&n);
    PyBuffer_Release(&w);
    PyBuffer_Release(&out);
    return result;
}

static PyMethodDef kernels_methods[] = {
    {"count", kernels_count, METH_VARARGS,
     "count(codes, offsets, n_codes, out) -> None | (race, code)\n\n"
     "Count uint8 codes per race into out (R * n_codes int64). Private: call\n"
     "engine.ballots.count_codes, which validates its input."},
    {"group_sum", kernels_group_sum, METH_VARARGS,
     "group_sum(values, group, lo, hi, n_cols, out) -> rows summed\n\n"
     "Sum the int64 rows whose group is in [lo, hi) into out ((hi - lo) * n_cols\n"
     "int64). Private: call "
     "engine.tally.sum_by_group."},
    {"binomial", kernels_binomial, METH_VARARGS,
     "binomial(capsule, n, p, out) -> None\n\n"
     "out[i] = Binomial(n[i], p[i]) (n, out: M int64; p: M float64), exact, drawn from the\n"
     "numpy BitGenerator whose capsule is given; hold its lock. Private: see engine._draws."},
    {"multinomial", kernels_multinomial, METH_VARARGS,
     "multinomial(capsule, n, weights, out) -> None\n\n"
     "Multinomial(n[i], weights[i] / sum) rows (n: M int64; weights: M * C float64 >= 0;\n"
     "out: M * C int64) by exact conditional binomials, drawn from the numpy BitGenerator\n"
     "whose capsule is given; hold its lock. Private: see engine._draws._multinomial_chain."},
    {NULL, NULL, 0, NULL},
};

/* Module initialisation: the log-factorial table, before any draw can read it. */
static int
kernels_exec(PyObject *Py_UNUSED(module))
{
    fill_log_factorials();
    return 0;
}

static PyModuleDef_Slot kernels_slots[] = {
    {Py_mod_exec, kernels_exec},
#ifdef Py_mod_multiple_interpreters
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
#ifdef Py_mod_gil
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef kernels_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "engine._kernels",
    .m_doc = "The hot loops of the tally core and the simulation's draws (buffer protocol, "
             "no numpy headers).",
    .m_size = 0,
    .m_methods = kernels_methods,
    .m_slots = kernels_slots,
};

PyMODINIT_FUNC
PyInit__kernels(void)
{
    return PyModuleDef_Init(&kernels_module);
}
