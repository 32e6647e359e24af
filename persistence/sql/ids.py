"""Compact, time-ordered, unique ids without I/O: `prefix_` + 16 Crockford base32 digits
of an 80-bit value (48 bits of milliseconds since the epoch, then 32 bits that start at a
random point per process and count up). Ids of one process sort in creation order; ids of
different processes sort by millisecond. Persistence may read the clock; the domain may not.
"""

from __future__ import annotations

import os
import threading
import time

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: ASCII order = numeric order
digits_count = 16  # 16 * 5 bits = 80 bits
low_bits = 32
low_mask = (1 << low_bits) - 1

assert len(ALPHABET) == 32, "five bits per character"
assert sorted(ALPHABET) == list(ALPHABET), "sorted, so ids sort like their numbers"


# Every pair of digits, by the value of its 10 bits: an id is 8 look-ups, not 16 steps.
_PAIRS = tuple(high + low for high in ALPHABET for low in ALPHABET)
_PAIR_SHIFTS = tuple(range(5 * digits_count - 10, -1, -10))  # 70, 60, ..., 0


def encode(value: int) -> str:
    """16 base32 digits, most significant first."""
    assert 0 <= value < 1 << (5 * digits_count), f"{value} does not fit in 80 bits"
    return "".join([_PAIRS[(value >> shift) & 1023] for shift in _PAIR_SHIFTS])


class IdGenerator:
    """Thread-safe; strictly increasing within the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0
        self._pid = os.getpid()
        self._reseed()

    def _reseed(self) -> None:
        self._low = int.from_bytes(os.urandom(4), "big") & (low_mask >> 1)

    def next_value(self) -> int:
        with self._lock:
            if os.getpid() != self._pid:  # forked: never share a sequence with the parent
                self._pid = os.getpid()
                self._reseed()
            now = time.time_ns() // 1_000_000 << low_bits
            self._low = (self._low + 1) & low_mask
            value = max(now | self._low, self._last + 1)
            self._last = value
            return value

    def __call__(self, prefix: str) -> str:
        return f"{prefix}_{encode(self.next_value())}"
