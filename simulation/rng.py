"""Random streams: one per replication and per purpose, all derived from one seed, so a
change in how one purpose draws never shifts the numbers of another."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PURPOSES = (
    "arrivals",
    "visits",
    "activities",
    "attributes",
    "content",
    "redemptions",
    "fulfilment",
    "churn",
    "quests",  # appended: spawning one more child leaves the earlier streams unchanged
    "tasks",
    "roles",
    "friends",
    "membership",
    "referrals",
    "campaigns",
)


@dataclass(frozen=True, slots=True)
class Streams:
    arrivals: np.random.Generator
    visits: np.random.Generator
    activities: np.random.Generator
    attributes: np.random.Generator
    content: np.random.Generator
    redemptions: np.random.Generator
    fulfilment: np.random.Generator
    churn: np.random.Generator
    quests: np.random.Generator
    tasks: np.random.Generator
    roles: np.random.Generator
    friends: np.random.Generator
    membership: np.random.Generator
    referrals: np.random.Generator
    campaigns: np.random.Generator


def replication_seeds(seed: int, replications: int) -> list[np.random.SeedSequence]:
    return np.random.SeedSequence(seed).spawn(replications)


def streams_for(seq: np.random.SeedSequence) -> Streams:
    children = seq.spawn(len(PURPOSES))
    gens = {
        name: np.random.Generator(np.random.PCG64(s))
        for name, s in zip(PURPOSES, children, strict=True)
    }
    return Streams(**gens)
