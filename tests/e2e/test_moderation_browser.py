"""Moderation, roles and direct messages in headless Chromium, live server."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from .test_chat_browser import send

PASSWORD = "correct horse"


def register(browser, url: str, username: str, display_name: str) -> Page:  # type: ignore[no-untyped-def]
    """Open a new person's browser context and register (which logs in)."""
    page: Page = browser.new_context().new_page()
    page.goto(url + "/auth/register")
    page.fill("#username", username)
    page.fill("#display_name", display_name)
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.click("main button[type=submit]")
    expect(page.locator(".whoami")).to_have_text(display_name)
    return page


def enter(page: Page, url: str, query: str) -> None:
    """Open a chat page and wait until it has joined."""
    page.goto(f"{url}/chat?{query}")
    expect(page.locator("#message-input")).to_be_enabled()


def person(page: Page, name: str):  # type: ignore[no-untyped-def]
    """The people list's row for `name`."""
    return page.locator("#people li", has=page.locator("bdi", has_text=name))


def moderate(page: Page, name: str, action: str) -> None:
    """Open the person's menu and pick an action."""
    row = person(page, name)
    row.get_by_role("button", name=f"Moderate {name}").click()
    row.get_by_role("button", name=action, exact=True).click()


def owner_and_member(browser, server, room: str, owner: tuple, member: tuple):  # type: ignore[no-untyped-def]
    """Two accounts in a new public room: the first (its creator) owns it."""
    first = register(browser, server.url, *owner)
    enter(first, server.url, f"room={room}")
    second = register(browser, server.url, *member)
    enter(second, server.url, f"room={room}")
    for page in (first, second):
        expect(page.locator("#people li")).to_have_count(2)
    return first, second


def test_owner_kicks_from_the_people_menu(browser, server, screenshot) -> None:
    rao, ben = owner_and_member(
        browser, server, "Maths 7B", ("mrsrao", "Mrs Rao"), ("ben", "Ben")
    )
    try:
        expect(person(rao, "Mrs Rao").locator(".badge")).to_have_text("owner")
        expect(person(ben, "Mrs Rao").locator(".badge")).to_have_text("owner")
        # Ben, a member, moderates nobody; Mrs Rao has no menu on herself.
        expect(ben.get_by_role("button", name=re.compile("^Moderate"))).to_have_count(0)
        expect(person(rao, "Mrs Rao").get_by_role("button")).to_have_count(0)
        row = person(rao, "Ben")
        row.get_by_role("button", name="Moderate Ben").click()
        expect(row.get_by_role("button", name="Kick")).to_be_focused()
        expect(row.locator(".person-actions button")).to_have_text(
            ["Kick", "Mute 10 min", "Mute 1 hour", "Ban…", "Make moderator"]
        )
        screenshot(rao, "menu")
        row.get_by_role("button", name="Kick").click()

        notice = ben.locator("#removed")
        expect(notice).to_be_visible()
        expect(notice).to_contain_text("Mrs Rao removed you from Maths 7B.")
        expect(notice.get_by_role("link", name="Back to the lobby")).to_be_visible()
        expect(ben.locator("#message-input")).to_be_disabled()
        expect(ben.locator("#send-button")).to_be_disabled()
        expect(rao.locator("#people li")).to_have_count(1)
        expect(rao.locator(".message.system").last).to_have_text(
            re.compile("Ben was removed by Mrs Rao.")
        )
        screenshot(ben, "removed")
        screenshot(rao, "after")
    finally:
        rao.context.close()
        ben.context.close()


def test_deleted_message_shows_as_deleted_live_and_after_a_reload(
    browser, server, screenshot
) -> None:
    rao, ben = owner_and_member(
        browser, server, "Science", ("rao2", "Ms Rao"), ("chen", "Chen")
    )
    try:
        send(ben, "a rude remark")
        send(ben, "a good question")
        bodies = rao.locator(".message:not(.system) .body")
        expect(bodies).to_have_text(["a rude remark", "a good question"])
        # Chen, a member, deletes only his own messages: no moderator's buttons.
        expect(ben.locator("#messages")).not_to_have_class(re.compile("can-delete"))
        expect(ben.locator(".delete-message.moderator-only:visible")).to_have_count(0)
        first = rao.locator(".message:not(.system)").first
        first.hover()
        button = first.get_by_role("button", name="Delete message")
        expect(button).to_be_visible()
        screenshot(rao, "hover")
        button.click()
        for page in (rao, ben):
            deleted = page.locator(".message.deleted")
            expect(deleted).to_have_count(1)
            expect(deleted.locator(".body")).to_have_text("Message deleted")
            expect(page.locator(".message:not(.system) .body")).to_have_text(
                ["Message deleted", "a good question"]
            )
        screenshot(ben, "live")
        ben.reload()
        expect(ben.locator("#message-input")).to_be_enabled()
        expect(ben.locator(".message:not(.system) .body")).to_have_text(
            ["Message deleted", "a good question"]
        )
        expect(ben.locator(".message.deleted .author")).to_have_text("Chen")
        screenshot(ben, "reloaded")
    finally:
        rao.context.close()
        ben.context.close()


def test_promoting_shows_the_badge_for_both(browser, server, screenshot) -> None:
    rao, ben = owner_and_member(
        browser, server, "History", ("rao3", "Dr Rao"), ("dev", "Dev")
    )
    try:
        moderate(rao, "Dev", "Make moderator")
        for page in (rao, ben):
            expect(person(page, "Dev").locator(".badge")).to_have_text("moderator")
        # Dev, now a moderator, may delete messages and moderate... nobody
        # here (the owner ranks above him).
        send(rao, "welcome, moderator")
        expect(ben.locator("#messages")).to_have_class(re.compile("can-delete"))
        expect(ben.get_by_role("button", name=re.compile("^Moderate"))).to_have_count(0)
        # The owner can make him a member again.
        row = person(rao, "Dev")
        row.get_by_role("button", name="Moderate Dev").click()
        expect(row.get_by_role("button", name="Make member")).to_be_visible()
        screenshot(rao, "owner")
        screenshot(ben, "moderator")
        rao.set_viewport_size({"width": 390, "height": 844})
        expect(row.get_by_role("button", name="Make member")).to_be_visible()
        assert rao.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(rao, "phone")
    finally:
        rao.context.close()
        ben.context.close()


def test_direct_message_from_the_people_list(browser, server, screenshot) -> None:
    asha, ravi = owner_and_member(
        browser, server, "Lounge", ("asha", "Asha"), ("ravi", "Ravi")
    )
    try:
        sidebar = ravi.locator("#my-rooms")
        expect(sidebar.locator("#my-rooms-list a")).to_have_text([re.compile("Lounge")])
        expect(sidebar.locator("#my-direct-list")).to_be_hidden()
        person(asha, "Ravi").get_by_role("button", name="Message Ravi").click()
        expect(asha).to_have_url(re.compile(r"/chat\?id=\d+$"))
        expect(asha.locator("#message-input")).to_be_enabled()
        expect(asha.locator("#room-title")).to_have_text("Ravi")
        expect(asha.locator("#room-kind")).to_have_text("Direct message")
        send(asha, "Can you share the notes?")

        # Ravi's sidebar shows the conversation live (a myRooms push).
        dm_link = sidebar.locator("#my-direct-list a")
        expect(dm_link).to_have_text(re.compile("Asha"))
        screenshot(ravi, "sidebar")
        dm_link.click()
        expect(ravi.locator("#message-input")).to_be_enabled()
        expect(ravi.locator("#room-title")).to_have_text("Asha")
        expect(ravi.locator("#my-direct-list a[aria-current=page]")).to_have_text(
            re.compile("Asha")
        )
        expect(ravi.locator(".message:not(.system) .body")).to_have_text(
            ["Can you share the notes?"]
        )
        send(ravi, "Sure, here they are")
        expect(asha.locator(".message:not(.system) .body")).to_have_text(
            ["Can you share the notes?", "Sure, here they are"]
        )
        screenshot(asha, "dm")
        screenshot(ravi, "dm")
    finally:
        asha.context.close()
        ravi.context.close()


def private_room(server, owner_username: str, name: str) -> str:  # type: ignore[no-untyped-def]
    """Create a members-only private room owned by an existing account, in
    the live server's database (its pages for that are another blueprint's);
    return its join code."""
    import sqlalchemy as sa

    from baithak import create_app
    from baithak.extensions import db
    from baithak.models import PRIVATE, User
    from baithak.services.ratelimit import Who
    from baithak.services.rooms import create_room

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": server.database_uri})
    with app.app_context():
        owner = db.session.execute(
            sa.select(User).where(User.username == owner_username)
        ).scalar_one()
        room = create_room(name, owner, Who(None, owner.id, None), kind=PRIVATE)
        code = room.join_code
        db.engine.dispose()
    return code


def test_join_errors_say_why_and_offer_a_way_on(browser, server, screenshot) -> None:
    owner = register(browser, server.url, "mrsiyer", "Mrs Iyer")
    guest = browser.new_context().new_page()
    try:
        code = private_room(server, "mrsiyer", "Staff only")
        # A room one may not see, and a wrong code, are answered by the pages.
        guest.goto(f"{server.url}/chat?id=999999&username=Gita")
        expect(guest.get_by_role("alert")).to_have_text("Room not found.")
        guest.goto(f"{server.url}/chat?code=ZZZZZZ&username=Gita")
        expect(guest.locator(".flashes")).to_have_text("That join code is not valid.")
        # The right code of a members-only room: the join says why, and how on.
        card = guest.locator("#join-error")
        guest.goto(f"{server.url}/chat?code={code}&username=Gita")
        expect(card).to_be_visible()
        expect(card.locator("#join-error-text")).to_have_text(
            "This room is for members only; log in to join it."
        )
        expect(card.get_by_role("link", name="Back to the lobby")).to_have_attribute(
            "href", "/rooms"
        )
        login = card.get_by_role("link", name="Log in")
        expect(login).to_be_visible()
        screenshot(guest, "login-required")
        # Logging in from there comes back to the room, which the code opens.
        login.click()
        guest.fill("#username", "mrsiyer")
        guest.fill("#password", PASSWORD)
        guest.click("main button[type=submit]")
        expect(guest.locator("#message-input")).to_be_enabled()
        expect(guest.locator("#room-title")).to_have_text("Staff only")
        expect(guest.locator("#room-kind")).to_have_text("Private room")
        expect(guest.locator("#my-rooms-list .icon-lock")).to_have_count(1)
        screenshot(guest, "private")
    finally:
        owner.context.close()
        guest.context.close()


def test_ban_asks_first_and_a_rename_shows_live(browser, server, screenshot) -> None:
    rao, ben = owner_and_member(
        browser, server, "Geography", ("rao4", "Mr Rao"), ("esha", "Esha")
    )
    try:
        # A rename (the settings page's, here sent from a second tab) shows
        # live in the title and in the sidebar of everyone in the room.
        error = rao.evaluate(
            """() => new Promise((resolve) => {
                const s = io({ forceNew: true });
                s.emit("join", { username: "", room: "Geography" }, () =>
                    s.emit("renameRoom", { name: "Maps and Places" }, (error) => {
                        s.disconnect();
                        resolve(error);
                    }));
            })"""
        )
        assert error is None
        for page in (rao, ben):
            expect(page.locator("#room-title")).to_have_text("Maps and Places")
            expect(page.locator("#my-rooms-list a[aria-current=page]")).to_have_text(
                re.compile("Maps and Places")
            )
        link = ben.locator("#my-rooms-list a[aria-current=page]").get_attribute("href")
        row = person(rao, "Esha")
        toggle = row.get_by_role("button", name="Moderate Esha")
        toggle.click()
        # Escape closes the menu and gives the focus back.
        rao.keyboard.press("Escape")
        expect(row.locator(".person-actions")).to_have_count(0)
        expect(toggle).to_be_focused()
        rao.keyboard.press("Enter")
        row.get_by_role("button", name="Ban…").click()
        expect(row.locator(".confirm")).to_contain_text("Ban Esha?")
        confirm = row.get_by_role("button", name="Ban", exact=True)
        expect(confirm).to_be_focused()
        screenshot(rao, "confirm")
        confirm.click()
        expect(ben.locator("#removed")).to_contain_text(
            "Mr Rao banned you from Maps and Places."
        )
        expect(ben.locator("#removed-title")).to_have_text(
            "You were banned from this room"
        )
        # (By id: ?room=Geography would now be a new room of the old name.)
        ben.goto(server.url + link)
        expect(ben.locator("#join-error-text")).to_have_text(
            "You are banned from this room."
        )
        screenshot(ben, "banned")
    finally:
        rao.context.close()
        ben.context.close()


def test_a_second_person_follows_an_invite_link_into_a_private_room(
    browser, server, screenshot
) -> None:
    teacher = register(browser, server.url, "msdas", "Ms Das")
    student = browser.new_context().new_page()
    try:
        # Ms Das makes a private room from the lobby.
        teacher.goto(server.url + "/rooms")
        teacher.fill("#name", "Year 9 Debate")
        teacher.check("#private")
        teacher.click("main form button:has-text('Create room')")
        expect(teacher.locator("#room-title")).to_have_text("Year 9 Debate")
        expect(teacher.locator("#room-kind")).to_have_text("Private room")
        send(teacher, "Welcome, debaters: motion on Friday.")
        # From the chat she sees the join code and opens the room's settings.
        expect(teacher.locator("#room-code")).to_have_text(re.compile(r"^[A-Z2-9]{6}$"))
        screenshot(teacher, "teacher-in-private-room")
        chat_url = teacher.url
        teacher.click("#room-settings-link")
        teacher.select_option("#invite-expires", label="1 day")
        teacher.select_option("#invite-max_uses", label="5")
        teacher.click("button:has-text('Create invite link')")
        link = teacher.locator("input[aria-label='Invite link']").first.input_value()
        assert "/invite/" in link
        screenshot(teacher, "settings-with-invite")

        teacher.goto(chat_url)
        expect(teacher.locator("#message-input")).to_be_enabled()
        # The room is nowhere for someone without the link.
        student.goto(server.url + "/rooms")
        expect(student.locator("main")).not_to_contain_text("Year 9 Debate")
        # Kavya follows the link: he registers, comes back, accepts.
        student.goto(link)
        expect(student.locator("main")).to_contain_text("Year 9 Debate")
        screenshot(student, "invite-page-anonymous")
        student.locator("main").get_by_role("link", name="Register").click()
        student.fill("#username", "kavya")
        student.fill("#display_name", "Kavya")
        student.fill("#password", PASSWORD)
        student.fill("#confirm", PASSWORD)
        student.click("main button[type=submit]")
        expect(student).to_have_url(re.compile(r"/invite/[\w-]+$"))
        student.click("main button:has-text('Join Year 9 Debate')")
        expect(student.locator("#message-input")).to_be_enabled()
        expect(student.locator("#room-title")).to_have_text("Year 9 Debate")
        expect(
            student.locator(".message .body", has_text="motion on Friday")
        ).to_be_visible()
        # Both see each other; her sidebar lists the room.
        expect(person(teacher, "Kavya")).to_have_count(1)
        expect(person(student, "Ms Das").locator(".badge")).to_have_text("owner")
        expect(student.locator("#my-rooms-list")).to_contain_text("Year 9 Debate")
        send(student, "Ready!")
        expect(teacher.locator(".message .body", has_text="Ready!")).to_be_visible()
        screenshot(student, "student-joined-by-invite")
    finally:
        teacher.context.close()
        student.context.close()
