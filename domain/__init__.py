"""Honorloop's domain core: the rules of the game, pure and standard-library only.

No I/O, no clock reads, no randomness: time arrives on every command, identifiers come
from the unit of work, and the economy arrives as text to parse.
"""
