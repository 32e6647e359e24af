"""Member names: handles, display names and external ids.

A handle is what members see and mention, in any script: Unicode letters, digits and
combining marks (after NFKC normalisation, so a full-width `１２３` is `123` and a
decomposed `é` is one letter), plus `_`, `.` and `-`. Two handles that differ only in
case (`alice`, `Alice`, `ALICE`) are the same handle: uniqueness is decided on the
casefolded form, `handle_key`. A display name is free text but must show something: one
made only of spaces, format characters or fillers is refused."""

from __future__ import annotations

import unicodedata

from domain.errors import InvalidInput

handle_length_max = 40
display_name_length_max = 80
external_id_length_max = 100
HANDLE_PUNCTUATION = frozenset("_.-")
# Letters (by category) that render as nothing: Hangul fillers, the Mongolian vowel
# separator and the braille blank are the usual ways to fake an empty name.
INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u180e\u2800")
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cn", "Co", "Cs", "Zs", "Zl", "Zp"})


def _handle_char(ch: str, first: bool) -> bool:
    if ch in INVISIBLE_LETTERS:
        return False
    category = unicodedata.category(ch)
    if category[0] in "LN":
        return True
    return (category[0] == "M" and not first) or ch in HANDLE_PUNCTUATION


def normalize_handle(raw: str) -> str:
    """The handle as stored and shown (NFKC, surrounding spaces removed), or InvalidInput."""
    handle = unicodedata.normalize("NFKC", raw).strip()
    valid = 0 < len(handle) <= handle_length_max and all(
        _handle_char(ch, i == 0) for i, ch in enumerate(handle)
    )
    if not valid or all(ch in HANDLE_PUNCTUATION for ch in handle):
        raise InvalidInput(
            "handle",
            f"must be 1 to {handle_length_max} letters or digits (any script), "
            "with '_', '.' or '-' between them",
        )
    return handle


def handle_key(handle: str) -> str:
    """The form uniqueness is decided on: casefolded, then NFKC again (casefolding can
    produce characters NFKC would rewrite)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", handle).casefold())


def _visible(ch: str) -> bool:
    return ch not in INVISIBLE_LETTERS and unicodedata.category(ch) not in _INVISIBLE_CATEGORIES


def normalize_display_name(raw: str) -> str:
    name = raw.strip()
    if not 0 < len(name) <= display_name_length_max:
        raise InvalidInput("displayName", f"must be 1 to {display_name_length_max} characters")
    if not any(_visible(ch) for ch in name):
        raise InvalidInput("displayName", "must show at least one visible character")
    return name


def check_external_id(raw: str) -> str:
    """An id the caller's own system gave the member: kept exactly as given."""
    if not 0 < len(raw) <= external_id_length_max:
        raise InvalidInput("externalId", f"must be 1 to {external_id_length_max} characters")
    if not any(_visible(ch) for ch in raw) or raw != raw.strip():
        raise InvalidInput("externalId", "must not be blank or start or end with spaces")
    return raw
