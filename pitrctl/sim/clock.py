"""Simulated time: one clock shared by the handlers, the pollers and the world.

Handlers take ``clock`` and ``sleep`` (``pitr.runtime.Runtime``), so hours pass in milliseconds. Two
ways the clock can move, chosen when it is made:

- ``driver_only=False`` (the tests' worlds): any ``sleep`` advances time, and each advance runs the
  hooks (the world moves on: due writes land, the replay poller runs);
- ``driver_only=True`` (``pitrctl rehearse``): only the thread that made the clock advances time;
  a handler sleeping on another thread (the workflow's waiter inside Step Functions) blocks until
  the driving thread has moved time past its wake-up.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

# 2030-01-01T00:00:00Z: simulated time never meets the wall clock.
SIM_START = 1_893_456_000.0


class SimClock:
    """Simulated epoch seconds; ``hooks`` run (with the seconds passed) after every advance."""

    def __init__(self, start: float = SIM_START, *, driver_only: bool = False) -> None:
        self.now = start
        self.driver_only = driver_only
        self.hooks: list[Callable[[float], None]] = []
        self.sleeps: list[float] = []  # every sleep asked for, in order (tests check the caps)
        self.stopped = False
        self._cond = threading.Condition(threading.RLock())
        self._driver = threading.get_ident()

    def clock(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        with self._cond:
            self.now += seconds
            self._cond.notify_all()
        for hook in list(self.hooks):
            hook(seconds)

    def sleep(self, seconds: float) -> None:
        with self._cond:
            self.sleeps.append(seconds)
        if self.driver_only and threading.get_ident() != self._driver:
            wake = self.now + seconds
            with self._cond:
                while self.now < wake and not self.stopped:
                    self._cond.wait(timeout=0.05)
            return
        self.advance(seconds)

    def stop(self) -> None:
        """Release every waiting thread (the world is shutting down)."""
        with self._cond:
            self.stopped = True
            self._cond.notify_all()
