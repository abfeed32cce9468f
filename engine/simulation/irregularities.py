"""Injected irregularities: ballot stuffing and vote switching in a fraction of the precincts of a
simulation, so forensics can be tried on elections whose answer is known.

After the fraud model of Klimek, Yegorov, Hanel and Thurner (PNAS 2012), per run and precinct:

- with probability ``incremental`` the precinct has incremental fraud: a fraction x of the
  voters who did not vote is stuffed as ballots for the race's favourite, and a fraction y of
  every other option's votes (against all included) is switched to the favourite, with
  x ~ N(stuffing, spread) and y ~ N(switching, spread) cut to [0, 1];
- with probability ``extreme`` it has extreme fraud: x and y ~ 1 - |N(0, spread)|, almost every
  non-voter's ballot stuffed and almost every other vote switched;
- otherwise it is clean.

The favourite is the race's candidate with the largest mean share (the first on the ballot on a
tie). Stuffed ballots are valid votes, drawn Binomial(non-voters, x); switched votes are
Binomial(votes, y) per option, so counts stay whole and conserved: cast <= registered and
votes + invalid == cast in every precinct.
"""

from __future__ import annotations

import numpy as np

from engine.formats.model_table import Irregularities

__all__ = ["CLEAN", "EXTREME", "INCREMENTAL", "apply"]

CLEAN, INCREMENTAL, EXTREME = 0, 1, 2


def apply(irr: Irregularities, race: np.ndarray, favourite: np.ndarray,
          registered: np.ndarray, cast: np.ndarray, votes: np.ndarray,
          rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stuff and switch votes in ``n`` runs of ``P`` precincts.

    race : (P,) int64; favourite : (R,) the candidate column each race's fraud favours
    registered : (P,) int64; cast : (n, P) int64; votes : (n, P, C) int64, options in columns
    returns cast (n, P), votes (n, P, C) int64 (new arrays) and kind (n, P) int8: CLEAN,
    INCREMENTAL or EXTREME
    """
    n, p, c = votes.shape
    u = rng.random((n, p))
    kind = np.where(u < irr.extreme, EXTREME,
                    np.where(u < irr.extreme + irr.incremental, INCREMENTAL, CLEAN))
    z = rng.standard_normal((2, n, p))
    near_all = 1 - np.abs(irr.spread * z)
    stuff = np.where(kind == INCREMENTAL, irr.stuffing + irr.spread * z[0], near_all[0])
    switch = np.where(kind == INCREMENTAL, irr.switching + irr.spread * z[1], near_all[1])
    stuff = np.where(kind == CLEAN, 0.0, np.clip(stuff, 0.0, 1.0))
    switch = np.where(kind == CLEAN, 0.0, np.clip(switch, 0.0, 1.0))
    fav = favourite[race]  # (P,)
    is_fav = np.arange(c) == fav[:, None]  # (P, C)
    stuffed = rng.binomial(registered - cast, stuff)
    moved = np.where(is_fav, 0, rng.binomial(votes, switch[..., None]))
    out = votes - moved
    cols = np.broadcast_to(fav, (n, p))[..., None]
    gain = stuffed + moved.sum(axis=-1)
    np.put_along_axis(out, cols, np.take_along_axis(out, cols, axis=-1) + gain[..., None],
                      axis=-1)
    return cast + stuffed, out, kind.astype(np.int8)
