"""per-room message sequence numbers and client ids

Revision ID: f2facd06e221
Revises: f75b9f4d958d
Create Date: 2026-12-01 07:58:00

Existing messages are numbered 1, 2, 3... per room in id order, and each
room's last_seq is set to its newest message's seq.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f2facd06e221'
down_revision = 'f75b9f4d958d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('rooms', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('last_seq', sa.BigInteger(), nullable=False, server_default='0')
        )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('client_id', sa.String(length=64), nullable=True))

    op.execute(
        "UPDATE messages SET seq = (SELECT numbered.n FROM ("
        " SELECT id, ROW_NUMBER() OVER (PARTITION BY room_id ORDER BY id) AS n"
        " FROM messages) AS numbered WHERE numbered.id = messages.id)"
    )
    op.execute(
        "UPDATE rooms SET last_seq = COALESCE("
        "(SELECT MAX(seq) FROM messages WHERE messages.room_id = rooms.id), 0)"
    )

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.alter_column('seq', existing_type=sa.BigInteger(), nullable=False)
        batch_op.create_unique_constraint('uq_messages_room_id_seq', ['room_id', 'seq'])
        batch_op.create_unique_constraint(
            'uq_messages_room_id_client_id', ['room_id', 'client_id']
        )


def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_constraint('uq_messages_room_id_client_id', type_='unique')
        batch_op.drop_constraint('uq_messages_room_id_seq', type_='unique')
        batch_op.drop_column('client_id')
        batch_op.drop_column('seq')
    with op.batch_alter_table('rooms', schema=None) as batch_op:
        batch_op.drop_column('last_seq')
