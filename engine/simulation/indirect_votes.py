"""The deputies' votes of a block of simulated rounds, from uniforms drawn once per block.

A block's uniforms (a :class:`Deck`) are 16-bit integers, one per deputy's seat and draw, drawn
in a fixed order from the block's seed whatever the parameters (common random numbers): a
deputy attends when their attendance uniform is below ``attendance``, votes for the candidate
the akim proposed first when their loyalty uniform is below ``loyalty``, else for the other
candidate their third uniform picks; in a re-vote among tied leaders a deputy repeats the
first-round choice (when it is among the tied) with probability ``persistence``, else redraws
by the same rule among the tied. A probability ``p`` is the threshold ``round(p * 2^16)``: a
uniform ``u`` in 0 .. 2^16 - 1 is below it with probability exactly threshold / 2^16.

The deputies of a race are the bits of one word (eight flags gathered into a byte by one
multiplication), so the first round of every race of every run is a few ANDs and population
counts on ``(runs, races)`` words. Every vote vector a race can show is decided once by the law
(:func:`engine.law.rules.decide`) and its outcome looked up (:class:`Kernel`); only the races
tied after the first round are drawn again, deputy by deputy, and decided by
:func:`engine.law.indirect.decide_rounds`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs
import numpy as np

from engine.law.indirect import decide_rounds
from engine.law.rules import Decision, Outcome, RuleSet, decide

if TYPE_CHECKING:  # the round is the caller's; only its arrays are read here
    from engine.simulation.indirect import Round

__all__ = ["CLASSES", "Deck", "FirstRound", "Kernel", "classify", "deck_bytes", "draw_deck",
           "first_round", "revote", "vote_counts"]

_U16 = 1 << 16
# Vote vectors decided in advance, at most; past it a round is decided as drawn.
_TABLE_CELLS = 1 << 21
# Eight 0/1 bytes of a uint64 times this, shifted right by 56: the eight flags as one byte
# (flag i at bit i). Every partial product lands on its own bit, so nothing carries.
_GATHER = np.uint64(0x0102040810204080)
_POP8 = np.array([bin(i).count("1") for i in range(256)], np.uint8)

# What the statistics need of a race's outcome, as bits of one byte.
CLASSES = ("elected", "ties", "failed_quorum", "failed_majority", "one_vote_margins",
           "first_choice_won")


def classify(dec: Decision) -> np.ndarray:
    """Each race's outcome as bits of :data:`CLASSES` (uint8, the shape of ``dec``)."""
    out = dec.outcome
    elected = (out == Outcome.ELECTED) | (out == Outcome.UNCONTESTED)
    bits = [elected, out == Outcome.TIE, out == Outcome.FAILED_QUORUM,
            out == Outcome.FAILED_MAJORITY, elected & (dec.margin_votes == 1),
            elected & (dec.winner == 0)]
    code = np.zeros(out.shape, np.uint8)
    for i, b in enumerate(bits):
        code |= b.astype(np.uint8) << i
    return code


def _threshold(p: float) -> int:
    return min(_U16, max(0, round(p * _U16)))


def _below(u: np.ndarray, p: float) -> np.ndarray:
    """``u < round(p * 2^16)``: True with probability ``p`` (to 2^-16) for a uniform ``u``."""
    t = _threshold(p)
    return np.ones(u.shape, bool) if t >= _U16 else u < np.uint16(t)


def _word(width: int) -> tuple[np.dtype, int]:
    """The word holding ``width`` deputies (a multiple of 8) and the words a row needs."""
    n_bytes = width // 8
    for dtype in (np.uint8, np.uint16, np.uint32):
        if n_bytes <= np.dtype(dtype).itemsize:
            return np.dtype(dtype), 1
    return np.dtype(np.uint64), -(-n_bytes // 8)


def _pack(flags: np.ndarray) -> np.ndarray:
    """(..., width) bool, width a multiple of 8 -> (..., W) words, deputy d at bit d."""
    width = flags.shape[-1]
    lead = flags.shape[:-1]
    eights = np.ascontiguousarray(flags).view(np.uint8).reshape(-1, width // 8, 8)
    packed = ((eights.view(np.uint64)[..., 0] * _GATHER) >> np.uint64(56)).astype(np.uint8)
    dtype, words = _word(width)
    size = dtype.itemsize * words
    if packed.shape[1] != size:
        packed = np.concatenate(
            [packed, np.zeros((packed.shape[0], size - packed.shape[1]), np.uint8)], axis=1)
    return packed.view(dtype).reshape(*lead, words)


def _popcount(words: np.ndarray) -> np.ndarray:
    """Bits set in each row of words: (..., W) -> (...) int32."""
    if words.shape[-1] == 1 and hasattr(np, "bitwise_count"):  # numpy >= 2.0
        return np.bitwise_count(words[..., 0]).astype(np.int32)
    as_bytes = np.ascontiguousarray(words).view(np.uint8)
    return _POP8[as_bytes].sum(axis=-1, dtype=np.int32)


@attrs.frozen(eq=False)
class Deck:
    """The uniforms of ``n`` rounds (16-bit), drawn once and read by every trial. The deputy
    axis is ``width`` = the most seats rounded up to a multiple of 8; seats past a
    maslikhat's own are never present.

    attend : (n, M, width) attendance per seat of each maslikhat (one sitting for all its races)
    loyal, keep, loyal2, pick2 : (n, R, width) per deputy of each race: first-round loyalty,
        persistence in the re-vote, loyalty and pick among the tied others when redrawing
    other : (n, R, width) uint8, the candidate (1 .. k - 1) a disloyal deputy votes for
    other_bits : (K - 1, n, R, W) those deputies packed, per candidate 1 .. K - 1
    """

    attend: np.ndarray
    loyal: np.ndarray
    other: np.ndarray
    other_bits: np.ndarray
    keep: np.ndarray
    loyal2: np.ndarray
    pick2: np.ndarray

    @property
    def runs(self) -> int:
        return int(self.attend.shape[0])

    @classmethod
    def concat(cls, decks: list[Deck]) -> Deck:
        """Several blocks' uniforms as one deck, runs one after another."""
        return cls(**{f.name: np.concatenate([getattr(d, f.name) for d in decks],
                                             axis=1 if f.name == "other_bits" else 0)
                      for f in attrs.fields(cls)})

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in attrs.astuple(self, recurse=False))


def _width(rnd: Round) -> int:
    return 8 * -(-rnd.max_seats // 8)


def deck_bytes(rnd: Round, n: int) -> int:
    """The memory a deck of ``n`` rounds of ``rnd`` takes."""
    w, r, m = _width(rnd), rnd.n_races, rnd.seats.shape[0]
    dtype, words = _word(w)
    return n * (2 * w * m + 9 * w * r + dtype.itemsize * words * r * (rnd.max_candidates - 1))


def draw_deck(rnd: Round, rng: np.random.Generator, n: int) -> Deck:
    """The uniforms of ``n`` rounds of ``rnd``, drawn from ``rng`` in a fixed order."""
    m, r, w, k = rnd.seats.shape[0], rnd.n_races, _width(rnd), rnd.max_candidates

    def uniforms(rows: int) -> np.ndarray:
        return rng.integers(0, _U16, (n, rows, w), dtype=np.uint16)

    attend, loyal, pick = uniforms(m), uniforms(r), uniforms(r)
    others = np.maximum(rnd.n_candidates - 1, 1).astype(np.uint32)[None, :, None]
    other = (1 + ((pick.astype(np.uint32) * others) >> 16)).astype(np.uint8)
    dtype, words = _word(w)
    other_bits = (np.stack([_pack(other == j) for j in range(1, k)]) if k > 1
                  else np.zeros((0, n, r, words), dtype))
    return Deck(attend=attend, loyal=loyal, other=other, other_bits=other_bits,
                keep=uniforms(r), loyal2=uniforms(r), pick2=uniforms(r))


@attrs.frozen(eq=False)
class Kernel:
    """What every trial of one round and rule set shares: each maslikhat's seats as bits and
    the law's decision of every vote vector a race can show, as :func:`classify` codes.

    offset : (R,) where the race's part of ``table`` starts (one part per seats and
    candidates); a part lists vote vectors in base S + 1 (S the most seats). Both None when
    the table would be too large: each round is then decided as drawn.
    """

    seat_bits: np.ndarray
    offset: np.ndarray | None = None
    table: np.ndarray | None = None

    @classmethod
    def of(cls, rnd: Round, rules: RuleSet) -> Kernel:
        s, k = rnd.max_seats, rnd.max_candidates
        seat_bits = _pack(np.arange(_width(rnd)) < rnd.seats[:, None])
        pairs, kind = np.unique(np.stack([rnd.seats[rnd.maslikhat], rnd.n_candidates], axis=1),
                                axis=0, return_inverse=True)
        size = (s + 1) ** k
        if pairs.shape[0] * size > _TABLE_CELLS:
            return cls(seat_bits)
        votes = np.stack(np.unravel_index(np.arange(size), (s + 1,) * k), axis=-1)
        votes = np.broadcast_to(votes, (pairs.shape[0], size, k))
        # every deputy present votes for a candidate: the ballots are those present
        dec = decide(votes, pairs[:, 1:2], rules, cast=votes.sum(axis=-1),
                     registered=np.broadcast_to(pairs[:, :1], votes.shape[:-1]))
        return cls(seat_bits, (kind.ravel() * size).astype(np.int32), classify(dec).ravel())


@attrs.frozen(eq=False)
class FirstRound:
    """The first round of ``n`` rounds: votes (n, R, K) int64 (None when looked up through
    ``key``), deputies present per maslikhat (n, M), each race's class code (n, R) uint8."""

    present: np.ndarray
    code: np.ndarray
    key: np.ndarray | None = None
    votes: np.ndarray | None = None

    def votes_at(self, rnd: Round, kernel: Kernel, runs: np.ndarray,
                 races: np.ndarray) -> np.ndarray:
        """(T, K) votes of the races ``(runs, races)``."""
        if self.votes is not None:
            return self.votes[runs, races]
        assert self.key is not None
        assert kernel.offset is not None
        rel = self.key[runs, races] - kernel.offset[races]
        k = rnd.max_candidates
        return np.stack(np.unravel_index(rel, (rnd.max_seats + 1,) * k), axis=-1).astype(
            np.int64)


def first_round(rnd: Round, rules: RuleSet, kernel: Kernel, deck: Deck, loyalty: float,
                attendance: float) -> FirstRound:
    """Every race's first round in every round of ``deck``: votes by population counts, the
    outcome by the law (looked up, or decided when the table would be too large)."""
    at_sitting = _pack(_below(deck.attend, attendance)) & kernel.seat_bits   # (n, M, W)
    present_m = _popcount(at_sitting)
    present_bits = at_sitting[:, rnd.maslikhat]                              # (n, R, W)
    loyal_bits = _pack(_below(deck.loyal, loyalty))
    k = rnd.max_candidates
    counts = [_popcount(present_bits & loyal_bits)]
    disloyal = present_bits & ~loyal_bits
    counts += [_popcount(disloyal & deck.other_bits[j - 1]) for j in range(1, k)]
    if kernel.offset is not None and kernel.table is not None:
        base = rnd.max_seats + 1
        key = np.broadcast_to(kernel.offset, present_bits.shape[:-1]).copy()
        for j, c in enumerate(counts):
            key += c * np.int32(base ** (k - 1 - j))
        return FirstRound(present=present_m, code=kernel.table[key], key=key)
    votes = np.stack(counts, axis=-1).astype(np.int64)
    present = present_m[:, rnd.maslikhat]
    seats = np.broadcast_to(rnd.seats[rnd.maslikhat], present.shape)
    dec = decide(votes, rnd.n_candidates, rules, cast=present, registered=seats)
    return FirstRound(present=present_m, code=classify(dec), votes=votes)


def vote_counts(choice: np.ndarray, present: np.ndarray, k: int) -> np.ndarray:
    """Ballots per candidate: choice (..., D) int in [0, k), present (..., D) bool ->
    (..., k) int64, each deputy present counted once."""
    cells = int(np.prod(choice.shape[:-1], dtype=np.int64))
    key = np.arange(cells).reshape(choice.shape[:-1])[..., None] * k + choice
    return np.bincount(key[present], minlength=cells * k).reshape(*choice.shape[:-1], k)


_TIE = 1 << CLASSES.index("ties")


def revote(rnd: Round, rules: RuleSet, kernel: Kernel, deck: Deck, first: FirstRound,
           loyalty: float, attendance: float, persistence: float) -> np.ndarray:
    """Each race's final class code: every first-round tie decided by the re-vote among the
    tied (:func:`engine.law.indirect.decide_rounds`), drawn deputy by deputy there only."""
    runs, races = np.nonzero(first.code & _TIE)
    if runs.size == 0:
        return first.code
    k = rnd.max_candidates
    body = rnd.maslikhat[races]
    seat_ok = np.arange(_width(rnd)) < rnd.seats[body][:, None]
    present = _below(deck.attend[runs, body], attendance) & seat_ok        # (T, width)
    loyal = _below(deck.loyal[runs, races], loyalty)
    choice1 = np.where(loyal, 0, deck.other[runs, races]).astype(np.int64)
    votes = first.votes_at(rnd, kernel, runs, races)                        # (T, K)
    n_cand = rnd.n_candidates[races]
    on = np.arange(k) < n_cand[:, None]
    tied = on & (votes == np.where(on, votes, -1).max(axis=1, keepdims=True))
    stays = np.take_along_axis(tied, choice1, axis=1)
    stays &= _below(deck.keep[runs, races], persistence)
    # a redraw among the tied: the first proposed if tied and the deputy is loyal, else one of
    # the tied others, picked uniformly
    rest = tied.copy()
    rest[:, 0] = False
    n_rest = rest.sum(axis=1)[:, None]
    pick = (deck.pick2[runs, races].astype(np.int64) * n_rest) >> 16      # (T, width) < n
    others = np.argsort(~rest, axis=1, kind="stable")   # the tied others first, in order
    other = np.take_along_axis(others, pick, axis=1)
    to_first = tied[:, :1] & (_below(deck.loyal2[runs, races], loyalty) | (n_rest == 0))
    choice2 = np.where(stays, choice1, np.where(to_first, 0, other))
    again = vote_counts(choice2, present, k)       # 0 for the candidates not in the re-vote
    code = first.code.copy()
    if kernel.offset is not None and kernel.table is not None:
        # The re-vote's decision is the table's for its counts: the same deputies vote, only
        # among the tied, so those left out have 0 where decide_rounds gives them -1 (unknown),
        # which changes neither the leader, nor the margin over the second, nor a tie.
        key = kernel.offset[races].astype(np.int64)
        for j in range(k):
            key += again[:, j] * (rnd.max_seats + 1) ** (k - 1 - j)
        code[runs, races] = kernel.table[key]
        return code
    final = decide_rounds(votes, n_cand, rules, present=first.present[runs, body],
                          seats=rnd.seats[body], revote=np.where(tied, again, -1))
    code[runs, races] = classify(final)
    return code
