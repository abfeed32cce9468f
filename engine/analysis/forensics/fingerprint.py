"""The election fingerprint (Klimek et al. 2012): turnout against the leader's share, weighted by
registered voters."""

from __future__ import annotations

import attrs
import numpy as np

from engine.analysis.forensics.precincts import ForensicPrecincts

__all__ = ["FINGERPRINT_BINS", "Fingerprint", "fingerprint"]

FINGERPRINT_BINS = 100  # 1-point bins on both axes



# -- fingerprint ------------------------------------------------------------------------------
@attrs.frozen(eq=False)
class Fingerprint:
    """voters : (bins, bins) int64, registered voters of the precincts in each cell; rows are
    turnout bins, columns leader-share bins, both [i / bins, (i + 1) / bins), 100% in the last."""

    voters: np.ndarray

    @property
    def bins(self) -> int:
        return self.voters.shape[0]


def fingerprint(p: ForensicPrecincts, bins: int = FINGERPRINT_BINS) -> Fingerprint:
    """The turnout x leader-share histogram of precincts, weighted by registered voters."""
    t = np.minimum(bins * p.cast // p.registered, bins - 1)
    s = np.minimum(bins * p.leader // p.valid, bins - 1)
    cells = np.bincount(t * bins + s, weights=p.registered, minlength=bins * bins)
    return Fingerprint(voters=cells.round().astype(np.int64).reshape(bins, bins))
