"""The one exception a user's mistake raises: it names the file, the place and the problem."""

from __future__ import annotations

__all__ = ["ScenarioError"]


class ScenarioError(ValueError):
    """A scenario (or a file it references) is wrong; the message is one line.

    ``str(err)`` is ``"<file>: <place>: <problem>"``, e.g.
    ``semey-2025.toml: race[semey].candidate[2].votes: must be >= 0, got -5``.
    """

    def __init__(self, file: str, place: str, problem: str) -> None:
        self.file = file
        self.place = place
        self.problem = problem
        parts = [p for p in (file, place, problem) if p]
        super().__init__(": ".join(parts))
