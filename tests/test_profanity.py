"""The profanity check: same answers as better-profanity's own list, plus allowances."""

import random
import string

import pytest
from better_profanity import Profanity

from baithak.services.profanity import (
    ALLOWED_WORDS,
    WordIndex,
    _is_number,
    contains_profanity,
)


@pytest.fixture(scope="module")
def reference() -> Profanity:
    """better-profanity with its default list, unindexed (the slow original)."""
    return Profanity()


def variants(word: str, rng: random.Random) -> list[str]:
    """The word, a random leetspeak spelling of it, and near misses."""
    leet = {"a": "@4", "i": "1*", "o": "0@", "e": "3", "s": "$5", "t": "7"}
    spelled = "".join(rng.choice(leet.get(ch, ch) + ch) for ch in word)
    return [word, spelled, word[:-1], word + "x", "x" + word, word.upper().lower()]


def test_index_answers_like_the_library_list(reference: Profanity) -> None:
    index = WordIndex(reference.CENSOR_WORDSET)
    rng = random.Random(7)
    words = [str(w) for w in reference.CENSOR_WORDSET]
    candidates = [v for w in words for v in variants(w, rng)]
    alphabet = string.ascii_lowercase + "@$*14570"
    candidates += [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8)))
        for _ in range(3000)
    ]
    # Numbers are the one deliberate difference (test_numbers_are_not_words).
    words_only = [c for c in candidates if not _is_number(c)]
    mismatches = [
        c
        for c in words_only
        if (c in index) != any(w == c for w in reference.CENSOR_WORDSET)
    ]
    assert mismatches == []
    assert sum(c in index for c in candidates) > len(words)  # it does match words


@pytest.mark.parametrize(
    "text", ["oh shit", "what the f*ck", "sh1t happens", "you are a b1tch", "ASS"]
)
def test_profanity_and_leetspeak_are_found(text: str) -> None:
    assert contains_profanity(text)


@pytest.mark.parametrize(
    "text",
    [
        "See you at 9 tomorrow",
        "oh my god",
        "gay rights",
        "homo sapiens",
        "weed the bed",
    ],
)
def test_everyday_classroom_text_passes(text: str) -> None:
    assert not contains_profanity(text)


@pytest.mark.parametrize("text", ["room 455", "7*7 = 49", "see you at 4:55", "7175"])
def test_numbers_are_not_words(reference: Profanity, text: str) -> None:
    assert reference.contains_profanity(text)  # the library reads leetspeak here
    assert not contains_profanity(text)


@pytest.mark.parametrize("text", ["a55", "5h1t", "sh17", "@$$"])
def test_leetspeak_with_letters_or_symbols_only_is_still_caught(text: str) -> None:
    assert contains_profanity(text)


def test_allowed_words_are_on_the_default_list(reference: Profanity) -> None:
    words = {str(w) for w in reference.CENSOR_WORDSET}
    assert set(ALLOWED_WORDS) <= words  # otherwise the allowance does nothing
