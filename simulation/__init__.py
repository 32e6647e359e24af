"""The simulation harness: synthetic member populations run through the same economy
file and the same `domain.services` the API runs, over the in-memory store."""
