"""The permission table of docs/permissions.md is the one the code enforces."""

from __future__ import annotations

import re
from pathlib import Path

from baithak.models import MEMBER, MODERATOR, OWNER
from baithak.services.access import PERMISSIONS

DOC = Path(__file__).parent.parent / "docs" / "permissions.md"
COLUMNS = [OWNER, MODERATOR, MEMBER, None]  # None: a guest


def documented() -> dict[str, frozenset]:
    """Read the table between the permissions-table markers."""
    text = DOC.read_text(encoding="utf-8")
    table = text.split("<!-- permissions-table")[1].split("<!-- end permissions-table")[
        0
    ]
    rows = {}
    for line in table.splitlines():
        match = re.match(r"\| `(\w+)` \|(.*)\|$", line)
        if match:
            cells = [c.strip() for c in match.group(2).split("|")]
            assert set(cells) <= {"✓", "—"}, line
            rows[match.group(1)] = frozenset(
                role for role, cell in zip(COLUMNS, cells, strict=True) if cell == "✓"
            )
    return rows


def test_the_documented_table_is_the_enforced_one():
    assert documented() == PERMISSIONS


def test_guests_and_members_may_moderate_nothing():
    assert all(MEMBER not in who and None not in who for who in PERMISSIONS.values())
