"""Application set-up: the session key an installation signs cookies with."""

from baithak import _instance_secret


def test_session_key_is_random_per_installation_and_kept(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = _instance_secret(tmp_path / "a")
    assert len(first) == 64
    assert _instance_secret(tmp_path / "b") != first
    assert _instance_secret(tmp_path / "a") == first  # survives a restart
    assert (tmp_path / "a" / "secret_key").stat().st_mode & 0o077 == 0  # owner only
