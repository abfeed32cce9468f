"""The precinct protocol: the count lines a commission writes down, the lines that follow from
others, its control relations, and the bases of the published turnout and shares.

A protocol is data. Its relations are equalities and inequalities between sums of lines, e.g.
``received = issued + cancelled + lost - unaccounted``; ``options`` stands for the votes of every
option (candidates and against all). A relation that fails at a station is a finding, never an
error (:mod:`engine.replay.protocol_checks` counts them).

Presets name their source. ``ru-uik-2018`` is the Russian precinct (UIK) protocol of the 2018
presidential election as published and as ``../shared/data/ru-2018/README.md`` lays it out;
``kz-uik`` is the Kazakh precinct protocol of the Constitutional Law "On Elections" (Art. 43).
"""

from __future__ import annotations

import re

import attrs
import numpy as np

from engine.records import COUNT_COLUMNS, SHARE_BASES, TURNOUT_BASES

__all__ = [
    "BASES",
    "OPTIONS",
    "PRESETS",
    "TURNOUT_BASES",
    "Protocol",
    "Relation",
    "derive",
    "derive_steps",
    "holds",
    "is_line_name",
    "parse",
    "preset",
    "sides",
]

OPTIONS = "options"  # the pseudo-line: every option's votes (candidates and against all)
BASES = SHARE_BASES  # a share is of valid votes, or of all ballots in the boxes (cast)
_OPS = ("<=", ">=", "=", "<", ">")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@attrs.frozen
class Relation:
    """``left op right``, each side a sum of signed lines: ((+1, "issued"), (-1, "lost"))."""

    left: tuple[tuple[int, str], ...]
    op: str
    right: tuple[tuple[int, str], ...]
    text: str

    @property
    def lines(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(name for _, name in (*self.left, *self.right)))

    def canonical(self) -> tuple[str, frozenset[tuple[str, int]]]:
        """The relation as ``sum = 0`` (or ``sum <= 0``): comparable whatever side a line is on."""
        coef: dict[str, int] = {}
        for sign, name in self.left:
            coef[name] = coef.get(name, 0) + sign
        for sign, name in self.right:
            coef[name] = coef.get(name, 0) - sign
        flip = -1 if self.op in (">=", ">") else 1
        if self.op == "=" and coef and coef[min(n for n in coef if coef[n])] < 0:
            flip = -1  # a = b and b = a are one equality
        terms = frozenset((n, flip * c) for n, c in coef.items() if c)
        return {"=": "=", "<=": "<=", ">=": "<=", "<": "<", ">": "<"}[self.op], terms


def _side(text: str) -> tuple[tuple[int, str], ...]:
    """``a + b - c`` as signed terms; a leading sign is allowed."""
    tokens = re.findall(r"[+-]|[^\s+-]+", text)
    terms: list[tuple[int, str]] = []
    i, sign = 0, 1
    if tokens and tokens[0] in ("+", "-"):
        sign, i = (-1 if tokens[0] == "-" else 1), 1
    while True:
        if i >= len(tokens):
            msg = "a sum of line names must not be empty or end with + or -"
            raise ValueError(msg)
        if not _NAME.match(tokens[i]):
            msg = f"{tokens[i]!r} is not a line name (lower case letters, digits and _)"
            raise ValueError(msg)
        terms.append((sign, tokens[i]))
        i += 1
        if i == len(tokens):
            return tuple(terms)
        if tokens[i] not in ("+", "-"):
            msg = f"{tokens[i]!r} where + or - was expected"
            raise ValueError(msg)
        sign, i = (1 if tokens[i] == "+" else -1), i + 1


def is_line_name(text: str) -> bool:
    """A line is named in lower case letters, digits and underscores, from a letter."""
    return bool(_NAME.match(text))


def parse(text: str) -> Relation:
    """A relation from its text: ``a = b + c - d``, ``a <= b``; ValueError says what is wrong."""
    for op in _OPS:  # "<=" before "<" and "="
        if op in text:
            left, _, right = text.partition(op)
            if any(o in right for o in _OPS):
                msg = "one comparison per relation"
                raise ValueError(msg)
            return Relation(left=_side(left), op=op, right=_side(right), text=" ".join(
                text.split()))
    msg = "needs one of =, <=, >=, <, >"
    raise ValueError(msg)


@attrs.frozen
class Protocol:
    """A precinct protocol.

    lines : the lines a precinct file may give beside registered, cast, invalid, against_all
        (always lines) and the options' votes
    derived : (line, its definition as a relation ``line = a + b``): computed where the file does
        not give the line itself, from lines it does give (or derived before it)
    relations : the control relations checked at every station
    turnout_basis : what turnout is of registered voters (cast: ballots in the boxes; issued)
    share_basis : what a share is of (valid votes; cast: valid + invalid)
    """

    name: str
    lines: tuple[str, ...]
    derived: tuple[Relation, ...] = ()
    relations: tuple[Relation, ...] = ()
    turnout_basis: str = "cast"
    share_basis: str = "valid"
    source: str = ""

    def __attrs_post_init__(self) -> None:
        if self.turnout_basis not in TURNOUT_BASES:
            msg = f"turnout_basis: must be one of {', '.join(TURNOUT_BASES)}"
            raise ValueError(msg)
        if self.share_basis not in BASES:
            msg = f"share_basis: must be one of {', '.join(BASES)}"
            raise ValueError(msg)
        known = {*COUNT_COLUMNS, *self.lines, OPTIONS, *(d.left[0][1] for d in self.derived)}
        for d in self.derived:
            if len(d.left) != 1 or d.left[0][0] != 1 or d.op != "=":
                msg = f"derived line {d.text!r}: must read 'line = a + b ...'"
                raise ValueError(msg)
        for r in (*self.derived, *self.relations):
            unknown = [n for n in r.lines if n not in known]
            if unknown:
                msg = (f"relation {r.text!r}: {unknown[0]!r} is not a line of the protocol "
                       f"({', '.join(sorted(known))})")
                raise ValueError(msg)

    @property
    def all_lines(self) -> tuple[str, ...]:
        """Every line a precinct row may carry: the tally's four (registered, cast, invalid,
        against all), the protocol's, and those derived from them."""
        return tuple(dict.fromkeys([*COUNT_COLUMNS, *self.lines,
                                    *(d.left[0][1] for d in self.derived)]))

    @property
    def extra_lines(self) -> tuple[str, ...]:
        """The lines beyond the tally's four."""
        return tuple(n for n in self.all_lines if n not in COUNT_COLUMNS)


def _relations(*texts: str) -> tuple[Relation, ...]:
    return tuple(parse(t) for t in texts)


# The Russian precinct (UIK) protocol as published for the 2018 presidential election (lines 1-12
# and the candidates' lines; ../shared/data/ru-2018/README.md lists the columns and the relations
# as they hold in that file). Turnout is ballots issued over registered, shares are of all ballots
# in the boxes (the commission's published 67.5% and Putin's 76.69%).
RU_UIK_2018 = Protocol(
    name="ru-uik-2018",
    lines=("registered", "received", "issued_early", "issued_on_day", "issued_outside",
           "cancelled", "box_portable", "box_stationary", "invalid", "valid", "lost",
           "unaccounted"),
    derived=_relations(
        "issued = issued_early + issued_on_day + issued_outside",
        "boxes = box_portable + box_stationary",
        "cast = boxes",
    ),
    relations=_relations(
        "received = issued + cancelled + lost - unaccounted",
        "boxes = invalid + valid",
        "valid = options",
        "issued <= registered",
        "boxes <= issued",
    ),
    turnout_basis="issued",
    share_basis="cast",
    source="CEC of Russia precinct protocol, 2018 presidential election "
           "(../shared/data/ru-2018/README.md)",
)

# What every precinct row says, whatever its protocol: the ballots in the boxes are the invalid
# ones and the options' votes. Checked where a file gives the lines.
BASIC = Protocol(
    name="basic",
    lines=("registered", "issued", "valid"),
    derived=_relations("cast = invalid + valid"),
    relations=_relations(
        "cast = invalid + options",
        "valid = options",
        "cast <= issued",
        "cast <= registered",
    ),
    source="DESIGN.md section 3: cast = valid + invalid, valid = the options' votes, "
           "no more ballots than voters",
)

# The Kazakh precinct protocol, as far as public sources give it (Constitutional Law "On Elections
# in the Republic of Kazakhstan", 28 September 1995, No. 2464; adilet.zan.kz Z950002464_):
# - Art. 41 §§3-5: ballots are issued only against a voter's signature in the list, so ballots
#   issued cannot exceed the voters on it, and every ballot in a box was issued;
# - Art. 41 §6 and Art. 44 §5: voting outside the polling station (portable box) is counted;
# - Art. 43 §1: the count sorts the ballots into a pile per candidate and one of invalid ballots
#   (against all is an option on the ballot since 2021, seed 003), so the ballots in the boxes are
#   the invalid ones and the options' votes.
# The CEC gives turnout as voters who received ballots (ballots issued); the akim tables give
# shares of valid votes (DESIGN.md section 3). Lines the law's text we hold does not name (ballots
# received, cancelled, lost) may be given and are summed, but no relation is assumed for them.
KZ_UIK = Protocol(
    name="kz-uik",
    lines=("registered", "received", "issued", "issued_outside", "cancelled", "invalid",
           "valid"),
    relations=_relations(
        "issued <= registered",
        "issued_outside <= issued",
        "cast <= issued",
        "cast = invalid + options",
        "valid = options",
    ),
    turnout_basis="issued",
    share_basis="valid",
    source='Constitutional Law "On Elections" (1995, No. 2464), Art. 41, 43 §1, 44 §5',
)

PRESETS: dict[str, Protocol] = {p.name: p for p in (BASIC, RU_UIK_2018, KZ_UIK)}


def preset(name: str) -> Protocol:
    """The protocol preset of that name; KeyError naming the known ones."""
    try:
        return PRESETS[name]
    except KeyError:
        msg = f"unknown protocol {name!r} (known: {', '.join(sorted(PRESETS))})"
        raise KeyError(msg) from None


def _sum(terms: tuple[tuple[int, str], ...], lines: dict[str, np.ndarray]
         ) -> tuple[np.ndarray, np.ndarray]:
    """A side's value at every station, and where it is known (every line >= 0)."""
    first = lines[terms[0][1]]
    total = np.zeros(first.shape, np.int64)
    known = np.ones(first.shape, bool)
    for sign, name in terms:
        x = lines[name]
        known &= x >= 0
        total += sign * np.maximum(x, 0)
    return total, known


def sides(relation: Relation, lines: dict[str, np.ndarray]
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Both sides of ``relation`` at every station ((P,) int64 each) and where both are known.

    ``lines`` maps every line of the relation (``options`` included) to (P,) int64, -1 unknown.
    """
    left, k1 = _sum(relation.left, lines)
    right, k2 = _sum(relation.right, lines)
    return left, right, k1 & k2


def holds(relation: Relation, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Where ``left op right`` holds."""
    return {"=": np.equal, "<=": np.less_equal, ">=": np.greater_equal, "<": np.less,
            ">": np.greater}[relation.op](left, right)


def derive(protocol: Protocol, lines: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray],
                                                                      tuple[str, ...]]:
    """``lines`` completed by the protocol's derived lines, in the protocol's order: a line the
    rows do not give is computed from lines they give (or derived before it), and a given
    line's unknown (-1) cells are filled where its parts are known. Returns the lines and the
    names of those that took a value from a derivation."""
    out, steps = derive_steps(protocol, lines)
    return out, tuple(name for name, new, filled in steps if new or filled)


def derive_steps(protocol: Protocol, lines: dict[str, np.ndarray]
                 ) -> tuple[dict[str, np.ndarray], tuple[tuple[str, bool, int], ...]]:
    """:func:`derive`, saying what each derivation that ran did: (its line, whether the line
    was new, the cells it filled: unknown before, its parts known). A replay read in
    partitions adds the cells up over the partitions to name the lines :func:`derive` would
    name for the whole file."""
    out = dict(lines)
    steps = []
    for d in protocol.derived:
        name = d.left[0][1]
        if any(n not in out for _, n in d.right):
            continue
        value, known = _sum(d.right, out)
        new = name not in out
        gap = known if new else (out[name] < 0) & known
        filled = int(np.count_nonzero(gap))
        if new:
            out[name] = np.where(known, value, -1)
        elif filled:
            out[name] = np.where(gap, value, out[name])
        steps.append((name, new, filled))
    return out, tuple(steps)
