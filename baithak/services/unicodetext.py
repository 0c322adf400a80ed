"""Unicode helpers shared by the name rules and the profanity check."""

from __future__ import annotations

import re
import unicodedata

# Unicode's Default_Ignorable_Code_Point ranges (DerivedCoreProperties.txt,
# Unicode 15): characters a renderer shows as nothing, such as zero-width
# spaces and joiners, bidi controls, variation selectors and fillers.
_IGNORABLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
    "\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)


# The same character class as a PostgreSQL regular expression (services.search).
IGNORABLE_PATTERN = _IGNORABLE.pattern


def without_ignorables(text: str) -> str:
    """Return `text` with every default-ignorable (invisible) character removed."""
    return _IGNORABLE.sub("", text)


def comparable(text: str) -> str:
    """Return the form two look-alike spellings share: NFKC-normalised,
    invisible characters removed, case-folded (then NFKC again, as case
    folding can denormalise)."""
    text = without_ignorables(unicodedata.normalize("NFKC", text))
    return unicodedata.normalize("NFKC", text.casefold())
