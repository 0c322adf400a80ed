"""private rooms, direct conversations, memberships, bans, mutes, invites,
audit log; deleted messages

Revision ID: a3c1d2e4f5b6
Revises: f2facd06e221
Create Date: 2026-12-01 11:00:00

rooms.is_private becomes rooms.kind ("public" / "private"; "direct" is new).
Private rooms lose their name_key: only public rooms are found by name. Each
room's creator becomes its owner (a membership), and rooms with an owner get
a join code.
"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a3c1d2e4f5b6'
down_revision = 'f2facd06e221'
branch_labels = None
depends_on = None

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # as services.rooms


def upgrade():
    with op.batch_alter_table('rooms', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('kind', sa.String(length=16), nullable=False, server_default='public')
        )
        batch_op.add_column(
            sa.Column('guests_welcome', sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column('join_code', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('dm_key', sa.String(length=40), nullable=True))
        batch_op.alter_column('name_key', existing_type=sa.String(length=192), nullable=True)
        batch_op.create_unique_constraint('uq_rooms_join_code', ['join_code'])
        batch_op.create_unique_constraint('uq_rooms_dm_key', ['dm_key'])
    op.execute("UPDATE rooms SET kind = 'private', name_key = NULL WHERE is_private")
    with op.batch_alter_table('rooms', schema=None) as batch_op:
        batch_op.drop_column('is_private')

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deleted_at', sa.BigInteger(), nullable=True))

    op.create_table(
        'memberships',
        sa.Column('room_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['room_id'], ['rooms.id']),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('room_id', 'user_id'),
    )
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_memberships_user_id'), ['user_id'], unique=False)
    for table in ('room_bans', 'room_mutes'):
        columns = [
            sa.Column('room_id', sa.Integer(), nullable=False),
            sa.Column('subject', sa.String(length=200), nullable=False),
            sa.Column('name', sa.String(length=32), nullable=False),
        ]
        if table == 'room_mutes':
            columns.append(sa.Column('until', sa.BigInteger(), nullable=False))
        op.create_table(
            table,
            *columns,
            sa.Column('by_id', sa.Integer(), nullable=True),
            sa.Column('created_at', sa.BigInteger(), nullable=False),
            sa.ForeignKeyConstraint(['by_id'], ['users.id']),
            sa.ForeignKeyConstraint(['room_id'], ['rooms.id']),
            sa.PrimaryKeyConstraint('room_id', 'subject'),
        )
    op.create_table(
        'invites',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('room_id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.BigInteger(), nullable=False),
        sa.Column('expires_at', sa.BigInteger(), nullable=True),
        sa.Column('max_uses', sa.Integer(), nullable=True),
        sa.Column('uses', sa.Integer(), nullable=False),
        sa.Column('revoked_at', sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['room_id'], ['rooms.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token'),
    )
    with op.batch_alter_table('invites', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invites_room_id'), ['room_id'], unique=False)
    op.create_table(
        'audit_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('room_id', sa.Integer(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('actor_name', sa.String(length=32), nullable=False),
        sa.Column('action', sa.String(length=32), nullable=False),
        sa.Column('target', sa.String(length=64), nullable=True),
        sa.Column('detail', sa.String(length=256), nullable=True),
        sa.Column('created_at', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id']),
        sa.ForeignKeyConstraint(['room_id'], ['rooms.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entries_room_id_id', ['room_id', 'id'], unique=False)

    # Creators become owners; their rooms get a join code.
    bind = op.get_bind()
    owned = bind.execute(
        sa.text("SELECT id, created_by_id, created_at FROM rooms WHERE created_by_id IS NOT NULL")
    ).all()
    codes = set()
    for room_id, user_id, created_at in owned:
        bind.execute(
            sa.text(
                "INSERT INTO memberships (room_id, user_id, role, created_at)"
                " VALUES (:r, :u, 'owner', :t)"
            ),
            {"r": room_id, "u": user_id, "t": created_at},
        )
        code = None
        while code is None or code in codes:
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
        codes.add(code)
        bind.execute(
            sa.text("UPDATE rooms SET join_code = :c WHERE id = :r"),
            {"c": code, "r": room_id},
        )


def downgrade():
    # Direct conversations and private rooms' names have no place in the old
    # schema: direct conversations go (with their messages); private rooms
    # get their name_key back, suffixed with the id where names collide.
    op.execute(
        "DELETE FROM messages WHERE room_id IN (SELECT id FROM rooms WHERE kind = 'direct')"
    )
    for table in ('audit_entries', 'invites', 'room_mutes', 'room_bans', 'memberships'):
        op.drop_table(table)
    op.execute("DELETE FROM rooms WHERE kind = 'direct'")
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('deleted_at')
    with op.batch_alter_table('rooms', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('is_private', sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute(
        "UPDATE rooms SET is_private = (kind = 'private'),"
        " name_key = COALESCE(name_key, 'private-' || id)"
    )
    with op.batch_alter_table('rooms', schema=None) as batch_op:
        batch_op.drop_constraint('uq_rooms_dm_key', type_='unique')
        batch_op.drop_constraint('uq_rooms_join_code', type_='unique')
        batch_op.alter_column('name_key', existing_type=sa.String(length=192), nullable=False)
        batch_op.drop_column('dm_key')
        batch_op.drop_column('join_code')
        batch_op.drop_column('guests_welcome')
        batch_op.drop_column('kind')
