"""MemoryPresence: who is online in which room, under which name."""

import pytest

from baithak.services import ServiceError
from baithak.services.presence import Member, MemoryPresence, Move

GLOBAL, PHYSICS = 1, 2


def member(sid, name, room_id=GLOBAL, user_id=None, joined_at=0) -> Member:
    """Return a Member; `joined_at` orders people within a room."""
    return Member(sid, room_id, name, user_id, joined_at)


@pytest.fixture
def presence():
    """An empty presence store."""
    return MemoryPresence()


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
