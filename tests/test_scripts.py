"""Look-alike names across scripts (UTS #39 mixed-script rule, services.names):
refused and accepted through the join event and the register form."""

import sys

import pytest
import regex
import sqlalchemy as sa

from baithak.extensions import db
from baithak.models import Room, User
from baithak.services.names import SCRIPTS, mixes_scripts

MIXED = "Names may not mix alphabets, like Latin and Cyrillic letters."
MIXED_ROOM = "Room names may not mix alphabets, like Latin and Cyrillic letters."

REFUSED = [
    pytest.param("\u0410dmin", id="Cyrillic A + Latin dmin"),
    pytest.param("\u041crs Rao", id="Cyrillic M + Latin rs Rao"),
    pytest.param("P\u0430ul", id="Latin with a Cyrillic a inside"),
    pytest.param("\u0391sha", id="Greek Alpha + Latin"),
    pytest.param("Ζoe", id="Greek Zeta + Latin"),
    pytest.param("Анна Smith", id="Cyrillic word + Latin word"),
    pytest.param("Ασπασία Анна", id="Greek + Cyrillic"),
    pytest.param("山田 Анна", id="Han + Cyrillic"),
    pytest.param("Asha आशा", id="Latin + Devanagari"),
    pytest.param("한국 たろう", id="Hangul + Hiragana"),
    pytest.param("Asha \u0661", id="Latin + Arabic-Indic digit"),
    pytest.param("\uff21dmin \u0410", id="fullwidth Latin + Cyrillic"),
    pytest.param("\u0410\u0301sha", id="Cyrillic A + combining acute + Latin"),
]

ACCEPTED = [
    pytest.param("Анна", id="Cyrillic"),
    pytest.param("Ασπασία", id="Greek"),
    pytest.param("अनन्या", id="Devanagari"),
    pytest.param("山田 Taro", id="Han + Latin (Japanese)"),
    pytest.param("山田たろう", id="Han + Hiragana"),
    pytest.param("ヤマダ Taro", id="Katakana + Latin"),
    pytest.param("Taroー", id="Latin + prolonged sound mark"),
    pytest.param("王 ㄅㄆ Li", id="Han + Bopomofo + Latin"),
    pytest.param("Kim 민준", id="Latin + Hangul"),
    pytest.param("김 金 Kim", id="Hangul + Han + Latin"),
    pytest.param("محمد", id="Arabic"),
    pytest.param("محمد ١٢", id="Arabic with Arabic-Indic digits"),
    pytest.param("שרה", id="Hebrew"),
    pytest.param("José", id="Latin with precomposed accent"),
    pytest.param("Zoe\u0308", id="Latin with a combining mark"),
    pytest.param("Zoë", id="Latin"),
    pytest.param("Asha 7 👋", id="digits and emoji"),
    pytest.param("👩\u200d💻 Asha", id="emoji ZWJ sequence"),
    pytest.param("Анна 🇺🇦", id="Cyrillic + flag"),
    pytest.param("\uff21\uff53\uff48\uff41", id="fullwidth Latin"),
    pytest.param("O'Brien-Smith", id="punctuation"),
]


def users(app) -> list[User]:
    with app.app_context():
        return list(db.session.execute(sa.select(User)).scalars())


@pytest.mark.parametrize("name", REFUSED)
def test_join_refuses_a_name_of_mixed_scripts(app, connect, name):
    sock = connect()
    assert sock.emit("join", {"username": name, "room": "Global"}) == (
        MIXED,
        {"code": "mixed_scripts"},
    )
    assert sock.received() == []


@pytest.mark.parametrize("name", ACCEPTED)
def test_join_accepts_one_script_and_the_usual_mixes(connect, name):
    assert connect().join(name)["username"] == name


@pytest.mark.parametrize("room", REFUSED)
def test_join_refuses_a_room_name_of_mixed_scripts(app, connect, room):
    sock = connect()
    assert sock.emit("join", {"username": "Asha", "room": room}) == (
        MIXED_ROOM,
        {"code": "mixed_scripts"},
    )
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Room)) == 1


@pytest.mark.parametrize("room", [*ACCEPTED, "Школа №5", "Физика 10-Б"])
def test_join_accepts_room_names_of_one_script(connect, room):
    assert connect().join("Asha", room)["room"] == room


def test_a_guest_cannot_pass_for_the_teacher(connect, user_client):
    teacher = connect(user_client("rao", "Mrs Rao"))
    teacher.join(None)
    guest = connect()
    error, data = guest.emit("join", {"username": "\u041crs Rao", "room": "Global"})
    assert (error, data) == (MIXED, {"code": "mixed_scripts"})


@pytest.mark.parametrize("name", REFUSED)
def test_register_refuses_a_display_name_of_mixed_scripts(app, auth, name):
    response = auth.register("bob", name)
    assert response.status_code == 200
    assert MIXED in response.get_data(as_text=True)
    assert users(app) == []


@pytest.mark.parametrize("name", ACCEPTED)
def test_register_accepts_display_names_of_one_script(app, auth, name):
    assert auth.register("bob", name).status_code == 302
    assert [u.display_name for u in users(app)] == [name]


def test_register_refuses_a_username_of_mixed_scripts(app, auth):
    response = auth.register("\u0430lice", "Alice")  # Cyrillic a
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Usernames may not mix alphabets, like Latin and Cyrillic letters." in page
    assert users(app) == []


def test_every_letter_has_a_listed_script():
    # A script added by a newer `regex` (Unicode) would count as Unknown:
    # list it in services.names.SCRIPTS.
    known = regex.compile("[" + "".join(rf"\p{{scx={code}}}" for code in SCRIPTS) + "]")
    letter = regex.compile(r"\p{L}")
    missing = [
        hex(cp)
        for cp in range(sys.maxunicode + 1)
        if letter.match(ch := chr(cp))
        and not known.match(ch)
        and not regex.match(r"\p{scx=Zyyy}|\p{scx=Zinh}", ch)
    ]
    assert missing == []


@pytest.mark.parametrize(
    ("text", "mixed"),
    [
        ("", False),
        ("123 !?", False),  # only Common characters
        ("a\U000f0000", True),  # private use is a script of its own
        ("\u3001Taro", False),  # ideographic comma: Han, kana, Hangul... with Latin
    ],
)
def test_mixes_scripts_edges(text, mixed):
    assert mixes_scripts(text) is mixed
