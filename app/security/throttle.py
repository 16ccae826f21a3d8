"""Sign-in throttling: failed attempts counted per account and per client address.

A moving window in memory (the ``limits`` library): after too many failures in the window,
every attempt (even with the right password) is refused until the oldest failure ages out.
Per process: with several backend nodes each one counts its own attempts.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


class LoginThrottle:
    def __init__(self, per_account: int, per_address: int, window_seconds: int) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._account = RateLimitItemPerSecond(per_account, window_seconds, namespace="account")
        self._address = RateLimitItemPerSecond(per_address, window_seconds, namespace="address")

    def retry_after(self, account: str, address: str) -> int | None:
        """Seconds to wait when this attempt must be refused, else None."""
        waits = [
            self._wait(item, key)
            for item, key in ((self._account, account.casefold()), (self._address, address))
            if not self._limiter.test(item, key)
        ]
        return max(waits) if waits else None

    def failed(self, account: str, address: str) -> None:
        self._limiter.hit(self._account, account.casefold())
        self._limiter.hit(self._address, address)

    def succeeded(self, account: str) -> None:
        self._limiter.clear(self._account, account.casefold())

    def _wait(self, item: RateLimitItemPerSecond, key: str) -> int:
        reset_at = self._limiter.get_window_stats(item, key).reset_time
        return max(1, math.ceil(reset_at - time.time()))
