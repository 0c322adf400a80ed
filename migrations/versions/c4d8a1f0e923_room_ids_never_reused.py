"""room ids are never reused (SQLite AUTOINCREMENT)

Revision ID: c4d8a1f0e923
Revises: b7e2c9d41a58
Create Date: 2026-12-01 11:50:00

Without AUTOINCREMENT SQLite gives a deleted room's id to the next room, so
a member of the deleted room who comes back by id walks into someone else's.
Other databases never reuse a sequence's values: nothing to do there.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c4d8a1f0e923'
down_revision = 'b7e2c9d41a58'
branch_labels = None
depends_on = None


def _rebuild(autoincrement):
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        'rooms', recreate='always', table_kwargs={'sqlite_autoincrement': autoincrement}
    ):
        pass


def upgrade():
    _rebuild(True)


def downgrade():
    _rebuild(False)
