"""A per-organisation sending rate shared by every worker, counted by members.throttle.

Rates of a message a second or more are counted in one-second windows, slower ones in
one-minute windows. Workers take tokens in small batches so the shared counter is touched a
few times per second, not once per message. Tokens a worker holds are good only in the window
they were taken in: a worker that stalled (a slow SMTP answer, a busy machine) drops what it
holds rather than spend last second's tokens on top of this second's.
"""

import time

from members import throttle


class RateLimiter:
    def __init__(self, *, key: str, per_minute: int, batch: int = 10, sleep=time.sleep):
        self.key = key
        self.per_minute = per_minute
        if per_minute >= 60:
            self.window, self.budget = 1, max(1, round(per_minute / 60))
        else:
            self.window, self.budget = 60, per_minute
        self.batch = max(1, min(batch, self.budget or 1))
        self.tokens = 0
        self.tokens_window = None
        self.sleep = sleep

    @property
    def unlimited(self) -> bool:
        return self.per_minute <= 0

    def _take(self, n: int) -> int:
        return throttle.take(
            scope="mail", ident=self.key, limit=self.budget, period=self.window, amount=n
        )

    def _current_window(self) -> int:
        return int(time.time() // self.window)

    def acquire(self) -> None:
        """Block until this worker may send one more message."""
        if self.unlimited:
            return
        if self.tokens_window != self._current_window():
            self.tokens = 0  # counted in a window that has ended: spending them now would burst
        while self.tokens <= 0:
            self.tokens_window = self._current_window()
            self.tokens = self._take(self.batch)
            if self.tokens <= 0:
                self.sleep(self.window - (time.time() % self.window) + 0.001)
        self.tokens -= 1
