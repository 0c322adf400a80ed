"""The profanity check: better-profanity's word list and matching rules, made fast.

better-profanity 0.7.0 keeps its word list as a Python list of `VaryingString`
(each word with its leetspeak variants, e.g. "a" may be written "@", "4" or
"*") and tests every candidate word against the whole list: ~0.4 s of CPU for
a 2,000-character message, and over 1 s for crafted ones, during which one
eventlet worker serves nobody. `WordIndex` answers the same `in` question with
one precompiled regular expression per word length, and is swapped in for the
list, so the library's own tokenising and multi-word rules are unchanged.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator

from better_profanity import profanity
from better_profanity.varying_string import VaryingString

from .unicodetext import comparable

PROFANITY = "Profanity is not allowed!"  # core error string, PROTOCOL.md

# Base words of the default list that a classroom needs (greetings, identities,
# biology, gardening). better-profanity drops them with all their variants.
ALLOWED_WORDS = ("god", "omg", "gay", "homo", "weed")


class WordIndex:
    """A drop-in for better-profanity's CENSOR_WORDSET answering `text in index`.

    Equivalent to `any(word == text for word in words)` under VaryingString's
    equality; words whose variants are not all single characters fall back to
    that comparison.
    """

    def __init__(self, words: Iterable[VaryingString]) -> None:
        self._words = list(words)
        alternatives: dict[int, list[str]] = defaultdict(list)
        self._slow: list[VaryingString] = []
        for word in self._words:
            combos = word._char_combos  # pinned better-profanity==0.7.0
            if all(len(ch) == 1 for combo in combos for ch in combo):
                pattern = "".join(_char_class(combo) for combo in combos)
                alternatives[len(combos)].append(pattern)
            else:
                self._slow.append(word)
        self._by_length = {
            length: re.compile("|".join(patterns))
            for length, patterns in alternatives.items()
        }

    def __contains__(self, text: object) -> bool:
        """Return True if `text` (a lower-cased candidate word) is on the list.

        A candidate with a digit and no letter is a number, never a word:
        the leetspeak variants would otherwise read "455", "7*7" or "4:55"
        (and the bench's timestamps, 1 message in 400) as swear words.
        """
        if not isinstance(text, str) or _is_number(text):
            return False
        pattern = self._by_length.get(len(text))
        if pattern is not None and pattern.fullmatch(text):
            return True
        return any(word == text for word in self._slow)

    def __iter__(self) -> Iterator[VaryingString]:
        return iter(self._words)

    def __len__(self) -> int:
        return len(self._words)


def _is_number(text: str) -> bool:
    return any(ch.isdigit() for ch in text) and not any(ch.isalpha() for ch in text)


def _char_class(chars: tuple[str, ...]) -> str:
    if len(chars) == 1:
        return re.escape(chars[0])
    return "[" + "".join(re.escape(ch) for ch in chars) + "]"


def load() -> None:
    """Load better-profanity's default list (minus ALLOWED_WORDS) and index it."""
    profanity.load_censor_words(whitelist_words=list(ALLOWED_WORDS))
    profanity.CENSOR_WORDSET = WordIndex(profanity.CENSOR_WORDSET)


def contains_profanity(text: str) -> bool:
    """Return True if better-profanity would censor any part of `text`, as
    written or in its comparable form (fullwidth letters and other
    compatibility forms normalised, invisible characters removed)."""
    if profanity.contains_profanity(text):
        return True
    alternative = comparable(text)
    # The library ignores case itself: a second pass only if more changed.
    return alternative != text.casefold() and profanity.contains_profanity(alternative)


load()
