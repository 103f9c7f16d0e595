"""Capped exponential backoff with full jitter, as pure functions.

Every retry loop and poller in the package takes its delays from here, so the schedule is
tested once and the worst cases (longest single wait, total time budget) can be computed.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """Delay before retry ``attempt`` (0-based) is uniform in ``[0, min(cap, base * factor**attempt)]``.

    ``floor`` keeps a minimum delay (useful for pollers that must not hammer an API).
    """

    base: float = 0.05
    cap: float = 5.0
    factor: float = 2.0
    floor: float = 0.0

    def ceiling(self, attempt: int) -> float:
        """Largest delay the schedule can choose for ``attempt``."""
        if attempt < 0:
            raise ValueError("attempt must be >= 0")
        # Avoid float overflow for large attempt numbers: the cap is reached long before.
        exponent = min(attempt, 64)
        return max(self.floor, min(self.cap, self.base * self.factor**exponent))

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """A jittered delay for ``attempt``; ``rand`` returns floats in [0, 1)."""
        high = self.ceiling(attempt)
        return self.floor + (high - self.floor) * rand()

    def delays(self, rand: Callable[[], float] = random.random) -> Iterator[float]:
        """Endless jittered delays for attempts 0, 1, 2, ..."""
        attempt = 0
        while True:
            yield self.delay(attempt, rand)
            attempt += 1
