"""Store ids: compact, unique across threads, and in creation order within a process."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

from persistence.sql.ids import ALPHABET, IdGenerator, digits_count, encode

ids_per_thread = 5_000


def test_ids_sort_in_the_order_they_were_made() -> None:
    make = IdGenerator()

    made = [make("act") for _ in range(1_000)]

    assert made == sorted(made)
    assert all(len(i) == len("act_") + 16 for i in made)


def test_ids_made_on_many_threads_are_unique() -> None:
    make = IdGenerator()

    with ThreadPoolExecutor(max_workers=4) as pool:
        batches = list(pool.map(lambda _: [make("trf") for _ in range(ids_per_thread)], range(4)))

    every = [i for batch in batches for i in batch]
    assert len(set(every)) == len(every)
    assert all(batch == sorted(batch) for batch in batches)


def _digit_by_digit(value: int) -> str:
    out = []
    for _ in range(digits_count):
        out.append(ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(out))


def test_ids_are_the_value_in_crockford_base32_digit_by_digit() -> None:
    rng = random.Random(14)
    values = [0, 1, 31, 32, (1 << 80) - 1] + [rng.getrandbits(80) for _ in range(2_000)]

    assert [encode(v) for v in values] == [_digit_by_digit(v) for v in values]
