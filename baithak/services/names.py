"""Rules for display names and room names: trimming, folding, length, scripts,
reserved names."""

from __future__ import annotations

import functools
import unicodedata

import regex
from flask import current_app

from . import ServiceError
from .profanity import PROFANITY, contains_profanity
from .unicodetext import comparable, without_ignorables

# The name system messages are sent under (PROTOCOL.md: "Admin", as in the core).
SYSTEM_NAME = "Admin"
RESERVED_NAME_KEYS = frozenset({"admin", "system", "baithak"})

REQUIRED = "Username and room are required!"  # core error string, PROTOCOL.md


# Joiners that Indic scripts and emoji sequences need; kept in what is shown,
# dropped from comparison keys.
JOINERS = frozenset("\u200c\u200d")
# Letters and symbols that render as blank space (Hangul fillers, braille blank).
BLANKS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# Unicode categories removed from names: control, surrogate and format
# characters (bidi overrides, zero-width spaces, soft hyphen, BOM...).
REMOVED_CATEGORIES = frozenset({"Cc", "Cs", "Cf"})


def clean(value: object) -> str:
    """Return a name as shown: invisible, control and bidi-override characters
    removed, whitespace runs made one space, ends trimmed; "" for non-strings
    and for names with nothing visible left."""
    if not isinstance(value, str):
        return ""
    kept = "".join(
        ch
        for ch in value
        if ch in JOINERS
        or (unicodedata.category(ch) not in REMOVED_CATEGORIES and ch not in BLANKS)
    )
    text = " ".join(kept.split())
    return text if text.strip("".join(JOINERS)) else ""


def fold(value: str) -> str:
    """Return the comparison key of a cleaned name (NFKC, invisible characters
    such as joiners and variation selectors removed, case-folded), so
    fullwidth "ASHA" (U+FF21...), "As\u034fha" and "asha" match."""
    return comparable(value)


KEY_FACTOR = 4


def _check_length(name: str, limit: int, what: str) -> None:
    # NFKC may expand a character (one ligature can fold to 18 letters); the
    # stored key has room for KEY_FACTOR x the limit.
    if len(name) > limit or len(fold(name)) > KEY_FACTOR * limit:
        raise ServiceError(f"{what} is too long (max {limit} characters).", "too_long")


# Mixed scripts (Unicode UTS #39, section 5.2, "Highly Restrictive", the
# level ICU's spoof checker uses by default): a name may not mix letters of
# scripts that are not written together, such as Latin "Admin" with a
# Cyrillic "A" (U+0410). Each character counts with its Script_Extensions (Unicode's
# property saying which scripts use it, from the pinned `regex` library,
# since unicodedata has no Script property); Common and Inherited characters
# (digits, punctuation, spaces, emoji, most combining marks, joiners) go
# with any script.
MIXED_SCRIPTS = "{what} may not mix alphabets, like Latin and Cyrillic letters."

# Every script `regex` knows (ISO 15924 codes, Unicode 17), less Common
# (Zyyy), Inherited (Zinh) and Unknown (Zzzz). A script added by a later
# Unicode version falls under Unknown until it is listed (tests/test_scripts.py
# notices).
_SCRIPT_CODES = """
    Adlm Aghb Ahom Arab Armi Armn Avst Bali Bamu Bass Batk Beng Berf Bhks Bopo Brah
    Brai Bugi Buhd Cakm Cans Cari Cham Cher Chrs Copt Cpmn Cprt Cyrl Deva Diak Dogr
    Dsrt Dupl Egyp Elba Elym Ethi Gara Geor Glag Gong Gonm Goth Gran Grek Gujr Gukh
    Guru Hang Hani Hano Hatr Hebr Hira Hluw Hmng Hmnp Hung Ital Java Jurc Kali Kana
    Kawi Khar Khmr Khoj Kits Knda Krai Kthi Lana Laoo Latn Lepc Limb Lina Linb Lisu
    Lyci Lydi Mahj Maka Mand Mani Marc Medf Mend Merc Mero Miao Mlym Modi Mong Mroo
    Mtei Mult Mymr Nagm Nand Narb Nbat Newa Nkoo Nshu Ogam Olck Onao Orkh Orya Osge
    Osma Ougr Palm Pauc Pcun Perm Phag Phli Phlp Phnx Prti Rjng Rohg Runr Samr Sarb
    Saur Seal Sgnw Shaw Shrd Sidd Sidt Sind Sinh Sogd Sogo Sora Soyo Sund Sunu Sylo
    Syrc Tagb Takr Tale Talu Taml Tang Tavt Tayo Telu Tfng Tglg Thaa Thai Tibt Tirh
    Tnsa Todr Tols Toto Tutg Ugar Vaii Vith Wara Wcho Xpeo Xsux Yezi Yiii Zanb
"""
SCRIPTS = tuple(_SCRIPT_CODES.split())
_IN_SCRIPT = {code: regex.compile(rf"\p{{scx={code}}}") for code in SCRIPTS}
_ANY_SCRIPT = regex.compile(r"[\p{scx=Zyyy}\p{scx=Zinh}]")
# UTS #39 5.1 "augmented" script sets: Han is also Japanese (Jpan), Korean
# (Kore) and Han with Bopomofo (Hanb); kana are Japanese; Hangul is Korean.
_AUGMENTED = {
    "Hani": ("Hanb", "Jpan", "Kore"),
    "Hira": ("Jpan",),
    "Kana": ("Jpan",),
    "Hang": ("Kore",),
    "Bopo": ("Hanb",),
}
# Highly Restrictive: one script, or these combinations of Latin with the
# scripts of Japanese, Chinese (Bopomofo) and Korean, as in "山田 Taro".
ALLOWED_MIXES = (
    frozenset({"Latn", "Hani", "Hira", "Kana"}),
    frozenset({"Latn", "Hani", "Bopo"}),
    frozenset({"Latn", "Hani", "Hang"}),
)


@functools.lru_cache(maxsize=4096)
def _scripts(ch: str) -> frozenset[str] | None:
    """Return the augmented script set of `ch`, or None for a character that
    goes with any script (Common, Inherited)."""
    if _ANY_SCRIPT.match(ch):
        return None
    scripts = {code for code, in_script in _IN_SCRIPT.items() if in_script.match(ch)}
    for code in tuple(scripts):
        scripts.update(_AUGMENTED.get(code, ()))
    # Unassigned and private-use characters: a script of their own.
    return frozenset(scripts or {"Zzzz"})


def mixes_scripts(text: str) -> bool:
    """Return True if `text` mixes scripts that UTS #39 Highly Restrictive
    refuses: its letters share no one script, nor fit one ALLOWED_MIXES."""
    sets = [scripts for ch in text if (scripts := _scripts(ch)) is not None]
    if not sets or frozenset.intersection(*sets):
        return False
    return not any(all(s & mix for s in sets) for mix in ALLOWED_MIXES)


def check_scripts(name: str, what: str = "Names") -> None:
    """Raise ServiceError("<what> may not mix alphabets...", "mixed_scripts")
    if the name as shown mixes scripts (see mixes_scripts).

    The name is checked as shown, less the invisible characters that no
    reader sees (such as a Mongolian variation selector, which a fold drops
    anyway); not folded: NFKC turns some symbols into letters ("№" into
    "No"), so "Школа №5" would seem to mix."""
    if mixes_scripts(without_ignorables(name)):
        raise ServiceError(MIXED_SCRIPTS.format(what=what), "mixed_scripts")


def check_display_name(raw: object) -> str:
    """Return the cleaned display name; raise ServiceError if empty, long,
    of mixed scripts, profane or reserved."""
    name = clean(raw)
    if not name:
        raise ServiceError(REQUIRED, "required")
    _check_length(name, current_app.config["BAITHAK_MAX_NAME_LENGTH"], "Name")
    check_scripts(name)
    _check_decent(name)
    if fold(name) in RESERVED_NAME_KEYS:
        raise ServiceError("That name is reserved.", "name_reserved")
    return name


def check_room_name(raw: object) -> str:
    """Return the cleaned room name; raise ServiceError if empty, too long, of
    mixed scripts or profane."""
    name = clean(raw)
    if not name:
        raise ServiceError(REQUIRED, "required")
    _check_length(name, current_app.config["BAITHAK_MAX_ROOM_LENGTH"], "Room name")
    check_scripts(name, "Room names")
    _check_decent(name)
    return name


def _check_decent(name: str) -> None:
    # Names are shown to everyone (people list, notices, lobby): same filter
    # as messages.
    if contains_profanity(name):
        raise ServiceError(PROFANITY, "profanity")
