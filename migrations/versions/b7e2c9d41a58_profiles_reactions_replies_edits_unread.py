"""profiles and presence (status, bio, last seen), reactions, replies,
edits, read positions

Revision ID: b7e2c9d41a58
Revises: a3c1d2e4f5b6
Create Date: 2026-12-01 11:35:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e2c9d41a58'
down_revision = 'a3c1d2e4f5b6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status_text', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('status_emoji', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('bio', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('last_seen_at', sa.BigInteger(), nullable=True))
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('last_read_seq', sa.BigInteger(), nullable=False, server_default='0')
        )
    # Members have read what is there already: no flood of old "unread".
    op.execute(
        "UPDATE memberships SET last_read_seq ="
        " (SELECT last_seq FROM rooms WHERE rooms.id = memberships.room_id)"
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('edited_at', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('reply_to_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            'fk_messages_reply_to_id_messages', 'messages', ['reply_to_id'], ['id']
        )
    op.create_table(
        'reactions',
        sa.Column('message_id', sa.Integer(), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('emoji', sa.String(length=16), nullable=False),
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('created_at', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['message_id'], ['messages.id']),
        sa.PrimaryKeyConstraint('message_id', 'subject', 'emoji'),
    )


def downgrade():
    op.drop_table('reactions')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_constraint('fk_messages_reply_to_id_messages', type_='foreignkey')
        batch_op.drop_column('reply_to_id')
        batch_op.drop_column('edited_at')
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_column('last_read_seq')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('last_seen_at')
        batch_op.drop_column('bio')
        batch_op.drop_column('status_emoji')
        batch_op.drop_column('status_text')
