"""Text the stores can keep: one rule for every string a caller sends, on every store.

PostgreSQL refuses NUL in text and SQLite keeps it, so the stores would disagree; other
control characters are invisible in audit trails, logs and the admin's terminal. So no
caller string may hold a control character (Unicode category Cc: U+0000-U+001F,
U+007F-U+009F) or a lone surrogate (no store can encode one), except that free text
(reasons and notes) may hold tab, line feed and carriage return."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
free_text_allowed = "tab, line feed and carriage return"


def has_control(value: str, *, free_text: bool = False) -> bool:
    """True if `value` holds a character no stored string may hold (see the module)."""
    pattern = _CONTROL_BUT_LINES if free_text else _CONTROL
    return pattern.search(value) is not None


def control_reason(free_text: bool) -> str:
    """What an `InvalidInput` says about a string that `has_control`."""
    if free_text:
        return f"must not contain control characters (except {free_text_allowed})"
    return "must not contain control characters"
