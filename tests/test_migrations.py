"""`flask init-db` on a fresh file, and migrations that match the models."""

import logging.config

import pytest
import sqlalchemy as sa

from baithak import create_app
from baithak.extensions import db
from baithak.models import Room


@pytest.fixture
def fresh_app(tmp_path, monkeypatch):
    """An app on a new, empty SQLite file (no create_all)."""
    # alembic's env.py calls fileConfig(), which would reconfigure (and disable)
    # every logger of the test process.
    monkeypatch.setattr(logging.config, "fileConfig", lambda *args, **kw: None)
    app = create_app(
        "testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/fresh.sqlite3"}
    )
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


def test_db_check_notices_a_difference(fresh_app):
    # The check above is only worth something if it can fail.
    runner = fresh_app.test_cli_runner()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    with fresh_app.app_context(), db.engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE stray (id INTEGER PRIMARY KEY)"))
    assert runner.invoke(args=["db", "check"]).exit_code != 0
