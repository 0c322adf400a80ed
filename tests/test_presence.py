"""Presence: who is online in which room, under which name; the same rules
for MemoryPresence (one process) and RedisPresence (several)."""

import pytest

from baithak.services import ServiceError
from baithak.services.presence import Member, MemoryPresence, Move
from baithak.services.redis_presence import RedisPresence

from .services import REDIS_URL, redis_prefix

GLOBAL, PHYSICS = 1, 2


def member(sid, name, room_id=GLOBAL, user_id=None, joined_at=0) -> Member:
    """Return a Member; `joined_at` orders people within a room."""
    return Member(sid, room_id, name, user_id, joined_at)


@pytest.fixture(params=["memory", "redis"])
def presence(request):
    """An empty presence store of each kind."""
    if request.param == "memory":
        yield MemoryPresence()
        return
    with redis_prefix() as prefix:
        yield RedisPresence(REDIS_URL, prefix, expire_s=20)


def names(presence, room_id=GLOBAL) -> list[str]:
    """Return the names of the people in a room, in joining order."""
    return [m.name for m in presence.people(room_id)]


def test_add_first_member(presence):
    asha = member("s1", "Asha")
    assert presence.add(asha) == Move(first=True, previous=None, previous_gone=False)
    assert presence.get("s1") == asha
    assert presence.people(GLOBAL) == [asha]
    assert presence.counts() == {GLOBAL: 1}


def test_empty_store(presence):
    assert presence.get("nobody") is None
    assert presence.people(GLOBAL) == []
    assert presence.counts() == {}
    assert presence.remove("nobody") == (None, False)


def test_people_in_joining_order(presence):
    presence.add(member("s3", "Chen", joined_at=3))
    presence.add(member("s1", "Asha", joined_at=1))
    presence.add(member("s2", "Bela", joined_at=2))
    presence.add(member("s4", "Dev", PHYSICS, joined_at=0))
    assert names(presence) == ["Asha", "Bela", "Chen"]
    assert names(presence, PHYSICS) == ["Dev"]
    assert presence.counts() == {GLOBAL: 3, PHYSICS: 1}


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (member("s1", "Asha"), member("s2", "Asha")),
        (member("s1", "Asha"), member("s2", "ASHA")),
        # Guest and account, either way round, or two accounts.
        (member("s1", "Asha"), member("s2", "asha", user_id=7)),
        (member("s1", "Asha", user_id=7), member("s2", "asha")),
        (member("s1", "Asha", user_id=7), member("s2", "Asha", user_id=8)),
    ],
)
def test_name_in_use(presence, first, second):
    presence.add(first)
    with pytest.raises(ServiceError) as refused:
        presence.add(second)
    assert refused.value.message == "Username is in use!"
    assert refused.value.code == "name_in_use"
    assert presence.get(second.sid) is None
    assert presence.people(GLOBAL) == [first]


def test_same_name_in_another_room(presence):
    presence.add(member("s1", "Asha"))
    assert presence.add(member("s2", "Asha", PHYSICS)).first is True
    assert presence.counts() == {GLOBAL: 1, PHYSICS: 1}


def test_account_with_several_connections_is_one_person(presence):
    tab1 = member("s1", "Alice", user_id=7, joined_at=1)
    tab2 = member("s2", "Alice", user_id=7, joined_at=2)
    presence.add(member("s0", "Bela"))
    assert presence.add(tab1).first is True
    assert presence.add(tab2).first is False
    assert names(presence) == ["Bela", "Alice"]
    assert presence.people(GLOBAL)[1] == tab1
    assert presence.counts() == {GLOBAL: 2}

    assert presence.remove("s1") == (tab1, False)
    assert names(presence) == ["Bela", "Alice"]
    assert presence.remove("s2") == (tab2, True)
    assert names(presence) == ["Bela"]


def test_move_to_another_room(presence):
    asha = member("s1", "Asha")
    presence.add(asha)
    presence.add(member("s2", "Bela"))
    moved = member("s1", "Asha", PHYSICS)
    assert presence.add(moved) == Move(first=True, previous=asha, previous_gone=True)
    assert presence.get("s1") == moved
    assert names(presence) == ["Bela"]
    assert names(presence, PHYSICS) == ["Asha"]


def test_move_of_one_tab_keeps_the_person_in_the_old_room(presence):
    tab1 = member("s1", "Alice", user_id=7)
    presence.add(tab1)
    presence.add(member("s2", "Alice", user_id=7))
    move = presence.add(member("s1", "Alice", PHYSICS, user_id=7))
    assert move == Move(first=True, previous=tab1, previous_gone=False)
    assert presence.counts() == {GLOBAL: 1, PHYSICS: 1}


def test_refused_move_keeps_the_old_room(presence):
    asha = member("s1", "Asha")
    presence.add(asha)
    presence.add(member("s2", "Asha", PHYSICS))
    with pytest.raises(ServiceError):
        presence.add(member("s1", "asha", PHYSICS))
    assert presence.get("s1") == asha
    assert presence.counts() == {GLOBAL: 1, PHYSICS: 1}


def test_rename_in_the_same_room(presence):
    presence.add(member("s1", "Asha"))
    move = presence.add(member("s1", "Ash"))
    assert move.first is True
    assert move.previous_gone is True
    assert names(presence) == ["Ash"]
    # The old name is free again.
    presence.add(member("s2", "Asha"))
    assert presence.counts() == {GLOBAL: 2}


def test_remove_last_member_empties_the_room(presence):
    asha = member("s1", "Asha")
    presence.add(asha)
    assert presence.remove("s1") == (asha, True)
    assert presence.get("s1") is None
    assert presence.counts() == {}
    assert presence.remove("s1") == (None, False)


def test_name_taken_follows_the_join_rule(presence):
    presence.add(member("s1", "Asha"))
    presence.add(member("s2", "Ravi", user_id=7))
    assert presence.name_taken(GLOBAL, "asha", None)
    assert presence.name_taken(GLOBAL, "RAVI", None)  # a guest may not take it
    assert not presence.name_taken(GLOBAL, "ravi", 7)  # the account's next tab
    assert not presence.name_taken(PHYSICS, "Asha", None)
    assert not presence.name_taken(GLOBAL, "Bela", None)


# Status: online while any connection of the person is active.


def test_a_new_connection_is_online(presence):
    asha = member("s1", "Asha")
    presence.add(asha)
    assert presence.status(asha) == "online"
    assert presence.account_status(7) is None


def test_an_account_is_away_only_when_every_tab_is(presence):
    tabs = [
        member(f"s{n}", "Alice", GLOBAL if n < 3 else PHYSICS, 7) for n in (1, 2, 3)
    ]
    for tab in tabs:
        presence.add(tab)
    assert presence.set_away("s1", True) is False  # two tabs still active
    assert presence.set_away("s2", True) is False
    assert presence.status(tabs[0]) == "online"
    assert presence.set_away("s3", True) is True  # the last one, in Physics
    assert presence.status(tabs[0]) == presence.account_status(7) == "away"
    assert presence.set_away("s3", True) is False  # no change, nothing to say
    assert presence.set_away("s1", False) is True
    assert presence.account_status(7) == "online"
    assert presence.rooms_of(tabs[0]) == [GLOBAL, PHYSICS]


def test_closing_the_active_tab_leaves_the_person_away(presence):
    presence.add(active := member("s1", "Alice", user_id=7))
    presence.add(member("s2", "Alice", PHYSICS, user_id=7))
    presence.set_away("s2", True)
    presence.remove("s1")
    assert presence.status(active) == "away"
    presence.remove("s2")
    assert presence.account_status(7) is None
    assert presence.rooms_of(active) == []


def test_guests_are_each_their_own_person(presence):
    presence.add(asha := member("s1", "Asha"))
    presence.add(bela := member("s2", "Bela"))
    assert presence.set_away("s1", True) is True
    assert (presence.status(asha), presence.status(bela)) == ("away", "online")
    assert presence.set_away("nobody", True) is False


def test_away_is_kept_across_rooms_and_forgotten_on_leaving(presence):
    presence.add(member("s1", "Asha"))
    presence.set_away("s1", True)
    presence.add(moved := member("s1", "Asha", PHYSICS))
    assert presence.status(moved) == "away"
    presence.remove("s1")
    presence.add(member("s1", "Asha"))
    assert presence.status(moved) == "online"


def test_typing_is_remembered_until_it_stops(presence):
    asha = member("s1", "Asha")
    assert presence.set_typing("s1", True) is None  # not joined: nothing
    presence.add(asha)
    assert presence.set_typing("s1", True) == asha
    assert presence.set_typing("s1", False) == asha
    assert presence.set_typing("s1", False) is None  # it was not typing


def test_rename_moves_every_tab_and_refuses_a_name_in_use(presence):
    presence.add(member("s1", "Alice", user_id=7, joined_at=1))
    presence.add(member("s2", "Alice", PHYSICS, user_id=7))
    presence.add(member("s3", "Bela", PHYSICS))
    with pytest.raises(ServiceError):
        presence.rename(7, "bela")
    assert names(presence, PHYSICS) == ["Alice", "Bela"]
    assert presence.rename(7, "Alicia") == [GLOBAL, PHYSICS]
    assert names(presence) == ["Alicia"]
    assert presence.get("s2").name == "Alicia"
    assert presence.get("s1").joined_at == 1


def test_account_connections_are_counted_until_the_last_closes(presence):
    presence.connect("s1", 7)
    presence.connect("s2", 7)
    presence.connect("s3", 8)
    assert presence.connected_accounts([7, 8, 9]) == {7, 8}
    presence.disconnect("s1")
    assert presence.connected_accounts([7, 8]) == {7, 8}
    presence.disconnect("s2")
    presence.disconnect("never-connected")
    assert presence.connected_accounts([7, 8]) == {8}
    assert presence.connected_accounts([]) == set()


def test_names_in_any_script_keep_their_rules(presence):
    presence.add(member("s1", "अनन्या 🌸"))
    assert presence.get("s1").name == "अनन्या 🌸"
    with pytest.raises(ServiceError):
        presence.add(member("s2", "अनन्या 🌸"))
    presence.add(member("s3", "ÉCOLE", user_id=3))
    assert presence.name_taken(GLOBAL, "école", None)
    assert presence.rename(3, "Zoë") == [GLOBAL]
    assert names(presence) == ["अनन्या 🌸", "Zoë"]


# --- several processes (RedisPresence only) -------------------------------


@pytest.fixture
def processes():
    """Two RedisPresence stores on one Redis: two server processes, whose
    heartbeat counts as stale after 0.3 s."""
    with redis_prefix() as prefix:
        yield (
            RedisPresence(REDIS_URL, prefix, expire_s=0.3),
            RedisPresence(REDIS_URL, prefix, expire_s=0.3),
        )


def test_processes_see_each_others_people(processes):
    a, b = processes
    a.add(member("a1", "Asha", joined_at=1))
    b.add(member("b1", "Bela", joined_at=2))
    for p in (a, b):
        assert [m.name for m in p.people(GLOBAL)] == ["Asha", "Bela"]
        assert p.counts() == {GLOBAL: 2}
    with pytest.raises(ServiceError):
        b.add(member("b2", "asha"))


def test_a_dead_process_is_reaped_once_and_its_people_leave(processes):
    import time

    a, b = processes
    a.add(member("a1", "Asha", user_id=1, joined_at=1))
    a.add(member("a2", "Asha", user_id=1, joined_at=2))  # a second tab
    a.add(member("a3", "Guest", PHYSICS, joined_at=3))
    a.connect("a1", 1)
    a.set_away("a1", True)
    a.set_typing("a3", True)
    b.add(member("b1", "Bela", joined_at=4))
    b.heartbeat()
    assert a.reap_dead() == []  # both alive
    time.sleep(0.4)  # a stops: b's heartbeat goes on
    b.heartbeat()
    departed = {m.sid: gone for m, gone in b.reap_dead()}
    assert set(departed) == {"a1", "a2", "a3"}
    # Asha's two tabs: only the last one taken out is her leaving the room.
    assert sorted([departed["a1"], departed["a2"]]) == [False, True]
    assert departed["a3"] is True
    assert b.reap_dead() == []  # reaped once
    assert names(b) == ["Bela"]
    assert b.people(PHYSICS) == [] and b.counts() == {GLOBAL: 1}
    assert b.account_status(1) is None and b.connected_accounts([1]) == set()
    assert b.set_typing("a3", False) is None
    # a was only stalled: its next heartbeat learns it was declared dead.
    assert a.heartbeat() is True
    assert a.heartbeat() is False


def test_a_graceful_stop_takes_its_own_people_out(processes):
    a, b = processes
    a.add(member("a1", "Asha", joined_at=1))
    a.add(member("a2", "Chen", PHYSICS, joined_at=2))
    b.add(member("b1", "Bela", joined_at=3))
    assert a.retire() == [GLOBAL, PHYSICS]
    assert names(b) == ["Bela"] and b.counts() == {GLOBAL: 1}
    b.heartbeat()
    assert b.reap_dead() == []


def test_two_processes_racing_for_one_name_one_wins(processes):
    from concurrent.futures import ThreadPoolExecutor

    a, b = processes

    def join(i: int) -> bool:
        try:
            (a if i % 2 else b).add(member(f"s{i}", "Asha"))
        except ServiceError:
            return False
        return True

    with ThreadPoolExecutor(8) as pool:
        won = list(pool.map(join, range(40)))
    assert won.count(True) == 1
    assert names(a) == ["Asha"]


def test_a_process_learns_that_redis_lost_its_people(processes):
    a, _ = processes
    a.add(member("a1", "Asha"))
    assert a.heartbeat() is False
    assert a.heartbeat() is False
    wiped = a._redis  # a Redis restart without persistence: every key gone
    wiped.delete(*wiped.keys(a._p + "*"))
    assert a.heartbeat() is True
    assert a.heartbeat() is False


def test_redis_out_of_reach_is_a_refusal_to_retry(app, connect):
    """Several processes whose Redis is down: joins and sends are refused
    with "unavailable", which the browser (and reliable_client) retry, and
    nothing is stored."""
    from baithak.extensions import db
    from baithak.models import Message

    sock = connect()
    sock.join("Asha")
    # Nothing listens on port 1: as a Redis that went away.
    app.extensions["baithak.presence"] = RedisPresence(
        "redis://127.0.0.1:1/0", "baithak-test-gone", expire_s=20
    )
    error, data = sock.emit("sendMessage", {"text": "Hi", "clientId": "gone-0001"})
    assert data == {"code": "unavailable"} and "unavailable" in error
    error, data = connect().emit("join", {"username": "Bela", "room": "Global"})
    assert data == {"code": "unavailable"}
    with app.app_context():
        assert db.session.query(Message).filter_by(text="Hi").count() == 0
