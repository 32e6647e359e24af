"""Store ids: compact, unique across threads, and in creation order within a process."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from persistence.sql.ids import IdGenerator

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
