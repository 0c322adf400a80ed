"""`flask init-db` on a fresh database, and migrations that match the models:
on SQLite, and on PostgreSQL too with BAITHAK_TEST_DATABASE_URL set
(tests/testdb.py)."""

import logging.config

import pytest
import sqlalchemy as sa

from baithak import create_app
from baithak.extensions import db
from baithak.models import Room

from . import testdb

BACKENDS = ["sqlite", "postgresql"] if testdb.on_postgres() else ["sqlite"]


@pytest.fixture(params=BACKENDS)
def fresh_app(request, tmp_path, monkeypatch):
    """An app on a new, empty database (no create_all): a SQLite file, and
    in PostgreSQL mode a PostgreSQL database as well."""
    # alembic's env.py calls fileConfig(), which would reconfigure (and disable)
    # every logger of the test process.
    monkeypatch.setattr(logging.config, "fileConfig", lambda *args, **kw: None)
    if request.param == "sqlite":
        uri = f"sqlite:///{tmp_path}/fresh.sqlite3"
    else:
        uri = testdb.database_uri(tmp_path, "fresh")
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": uri})
    yield app
    with app.app_context():
        db.engine.dispose()


def tables(app) -> set[str]:
    """Return the names of the tables in the app's database."""
    with app.app_context():
        return set(sa.inspect(db.engine).get_table_names())


def test_init_db_creates_schema_and_global_room(fresh_app):
    assert tables(fresh_app) == set()
    result = fresh_app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "Database ready; global room: Global" in result.output
    assert {"users", "rooms", "messages", "alembic_version"} <= tables(fresh_app)
    with fresh_app.app_context():
        rooms = db.session.execute(sa.select(Room.name)).scalars().all()
    assert rooms == ["Global"]


def test_init_db_twice_is_harmless(fresh_app):
    runner = fresh_app.test_cli_runner()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    with fresh_app.app_context():
        assert db.session.execute(sa.select(sa.func.count(Room.id))).scalar() == 1


def test_migrations_match_the_models(fresh_app):
    runner = fresh_app.test_cli_runner()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output


def test_upgrade_from_empty_matches_the_models_and_downgrades_to_base(fresh_app):
    runner = fresh_app.test_cli_runner()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["db", "downgrade", "base"])
    assert result.exit_code == 0, result.output
    assert tables(fresh_app) <= {"alembic_version"}
    # And up again: the downgrades left nothing behind that gets in the way
    # (a PostgreSQL sequence, index or constraint name).
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["db", "check"]).exit_code == 0


def test_db_check_notices_a_difference(fresh_app):
    # The check above is only worth something if it can fail.
    runner = fresh_app.test_cli_runner()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    with fresh_app.app_context(), db.engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE stray (id INTEGER PRIMARY KEY)"))
    assert runner.invoke(args=["db", "check"]).exit_code != 0


def test_upgrade_numbers_existing_messages_per_room(fresh_app):
    runner = fresh_app.test_cli_runner()
    result = runner.invoke(args=["db", "upgrade", "f75b9f4d958d"])  # the first schema
    assert result.exit_code == 0, result.output
    # No ids given: on PostgreSQL the rooms' sequence would not know of them,
    # and the global room init-db adds would take one of theirs.
    with fresh_app.app_context(), db.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO rooms (name, name_key, is_private, created_at)"
                " VALUES ('A', 'a', FALSE, 0), ('B', 'b', FALSE, 0),"
                " ('C', 'c', FALSE, 0)"
            )
        )
        ids = dict(connection.execute(sa.text("SELECT name, id FROM rooms")).all())
        for name in "ABAAB":
            connection.execute(
                sa.text(
                    "INSERT INTO messages (room_id, kind, username, text, created_at)"
                    " VALUES (:room, 'text', 'Asha', 'hi', 0)"
                ),
                {"room": ids[name]},
            )
    assert runner.invoke(args=["init-db"]).exit_code == 0
    with fresh_app.app_context(), db.engine.connect() as connection:
        seqs = connection.execute(
            sa.text("SELECT room_id, seq FROM messages ORDER BY id")
        ).all()
        last = connection.execute(
            sa.text("SELECT name, last_seq FROM rooms ORDER BY id")
        ).all()
    a, b = ids["A"], ids["B"]
    assert [tuple(row) for row in seqs] == [(a, 1), (b, 1), (a, 2), (a, 3), (b, 2)]
    assert [tuple(row) for row in last][:3] == [("A", 3), ("B", 2), ("C", 0)]


def test_upgrade_makes_creators_owners_and_private_rooms_nameless(fresh_app):
    runner = fresh_app.test_cli_runner()
    result = runner.invoke(args=["db", "upgrade", "f2facd06e221"])
    assert result.exit_code == 0, result.output
    with fresh_app.app_context(), db.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO users (id, username, username_key, display_name,"
                " display_name_key, password_hash, created_at)"
                " VALUES (7, 'rao', 'rao', 'Rao', 'rao', 'x', 0)"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO rooms (id, name, name_key, is_private, last_seq,"
                " created_by_id, created_at) VALUES"
                " (1, 'Open', 'open', FALSE, 0, NULL, 0),"
                " (2, 'Staff', 'staff', TRUE, 1, 7, 0)"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO messages (room_id, seq, kind, username, text, created_at)"
                " VALUES (2, 1, 'text', 'Rao', 'kept', 0)"
            )
        )
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with fresh_app.app_context(), db.engine.connect() as connection:
        rooms = connection.execute(
            sa.text("SELECT id, kind, name_key, join_code FROM rooms ORDER BY id")
        ).all()
        owners = connection.execute(
            sa.text("SELECT room_id, user_id, role FROM memberships")
        ).all()
        texts = connection.execute(sa.text("SELECT text FROM messages")).scalars()
        assert list(texts) == ["kept"]
    (open_room, staff) = rooms
    assert tuple(open_room) == (1, "public", "open", None)
    assert staff[:3] == (2, "private", None) and len(staff[3]) == 6
    assert [tuple(o) for o in owners] == [(2, 7, "owner")]
    assert runner.invoke(args=["db", "check"]).exit_code == 0
    # And back: the old schema, the private room still private.
    result = runner.invoke(args=["db", "downgrade", "f2facd06e221"])
    assert result.exit_code == 0, result.output
    with fresh_app.app_context(), db.engine.connect() as connection:
        back = connection.execute(
            sa.text("SELECT id, is_private, name_key FROM rooms ORDER BY id")
        ).all()
    assert [tuple(r) for r in back] == [(1, False, "open"), (2, True, "private-2")]
