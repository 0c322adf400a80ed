"""Name rules: what is shown, what is compared, and what is refused."""

import pytest

from baithak.services import ServiceError
from baithak.services.names import check_display_name, clean, fold


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("  Asha  ", "Asha"),
        ("Asha   Rao", "Asha Rao"),
        ("\u202enimdA", "nimdA"),  # right-to-left override removed
        ("Ad\u00admin", "Admin"),  # soft hyphen removed
        ("A\u200bsha", "Asha"),  # zero-width space removed
        ("x\ud800y", "xy"),  # unpaired surrogate removed
        ("\u3164", ""),  # Hangul filler renders blank
        ("\u2800 ", ""),  # braille blank
        ("\u200d", ""),  # nothing visible left
        ("नमस्ते", "नमस्ते"),  # combining marks kept
        ("👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"),  # joiners kept in emoji
        (42, ""),
    ],
)
def test_clean_keeps_only_what_is_seen(raw, shown):
    assert clean(raw) == shown


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Asha", " asha "),
        ("\uff21\uff33\uff28\uff21", "asha"),
        ("Ad\u200dmin", "admin"),
        ("STRASSE", "straße"),
    ],
)
def test_look_alike_spellings_fold_to_one_key(a, b):
    assert fold(clean(a)) == fold(clean(b))


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("Ad\u200dmin", "That name is reserved."),
        ("\u202eADMIN", "That name is reserved."),
        ("\uff21\uff44\uff4d\uff49\uff4e", "That name is reserved."),
        ("Ad\u034fmin", "That name is reserved."),  # combining grapheme joiner
        ("Admin\ufe0f", "That name is reserved."),  # variation selector
        ("Admin\U000e0100", "That name is reserved."),
        ("Ad\u180bmin", "That name is reserved."),
        ("\uff46\uff55\uff43\uff4b", "Profanity is not allowed!"),  # fullwidth
        ("\u200b\u200b", "Username and room are required!"),
        ("\ufdfa" * 10, "Name is too long (max 32 characters)."),  # folds to 180
    ],
)
def test_display_name_refusals(app, raw, error):
    with app.app_context(), pytest.raises(ServiceError) as refused:
        check_display_name(raw)
    assert refused.value.message == error
