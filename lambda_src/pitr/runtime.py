"""The time source the restore workflow's functions wait with: injectable so tests do not sleep."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass
class Runtime:
    """Wall clock (epoch seconds), sleep and randomness."""

    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    rand: Callable[[], float] = random.random

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), tz=UTC)
