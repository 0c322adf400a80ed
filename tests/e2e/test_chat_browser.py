"""People chatting in headless Chromium against the real server."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect


def join_as_guest(browser, url: str, name: str, room: str = "Global", **context):  # type: ignore[no-untyped-def]
    """Open a new person's browser context, join from the form, wait until joined."""
    page: Page = browser.new_context(**context).new_page()
    page.goto(url + "/")
    page.fill("#username", name)
    page.fill("#room", room)
    page.click("main button[type=submit]")
    expect(page.locator("#message-input")).to_be_enabled()
    return page


def send(page: Page, text: str) -> None:
    page.fill("#message-input", text)
    page.press("#message-input", "Enter")


def test_two_guests_chat_both_ways(browser, server, screenshot) -> None:
    asha = join_as_guest(browser, server.url, "Asha", "Maths")
    ben = join_as_guest(browser, server.url, "Ben", "maths")
    try:
        for page in (asha, ben):
            expect(page.locator("#people li")).to_have_count(2)
            expect(page.locator("#room-title")).to_have_text("Maths")
        expect(asha.locator(".message.system").last).to_have_text(
            re.compile("Ben has joined!")
        )
        # The joiner has the welcome; its own notice is for the others.
        expect(
            ben.locator(".message.system", has_text="Ben has joined!")
        ).to_be_hidden()
        expect(
            ben.locator(".message.system", has_text="Welcome to Maths!")
        ).to_be_visible()

        send(asha, "Good morning, Ben")
        send(ben, "Morning, Asha!")
        for page in (asha, ben):
            bodies = page.locator(".message:not(.system) .body")
            expect(bodies).to_have_text(["Good morning, Ben", "Morning, Asha!"])
            authors = page.locator(".message:not(.system) .author")
            expect(authors).to_have_text(["Asha", "Ben"])
            expect(page.locator(".message:not(.system) time").first).to_have_text(
                re.compile(r"\d{1,2}:\d{2}")
            )
        expect(asha.locator("#message-input")).to_have_value("")

        # Shift+Enter starts a new line; Enter sends both lines as one message.
        asha.fill("#message-input", "Homework:")
        asha.press("#message-input", "Shift+Enter")
        asha.type("#message-input", "page 12")
        asha.press("#message-input", "Enter")
        expect(ben.locator(".message:not(.system) .body").last).to_have_text(
            "Homework:\npage 12"
        )
        screenshot(asha, "asha")
        screenshot(ben, "ben")
    finally:
        asha.context.close()
        ben.context.close()


def test_profanity_is_refused_inline_and_not_delivered(
    browser, server, screenshot
) -> None:
    asha = join_as_guest(browser, server.url, "Asha", "Language")
    ben = join_as_guest(browser, server.url, "Ben", "Language")
    try:
        send(ben, "this is shit")
        expect(ben.locator("#compose-error")).to_have_text("Profanity is not allowed!")
        expect(ben.locator("#message-input")).to_have_value("this is shit")
        send(ben, "sorry")
        expect(asha.locator(".message:not(.system) .body")).to_have_text(["sorry"])
        screenshot(ben)
    finally:
        asha.context.close()
        ben.context.close()


def test_empty_name_shows_a_readable_error(browser, server, screenshot) -> None:
    page = browser.new_context().new_page()
    try:
        page.goto(server.url + "/")
        page.click("main button[type=submit]")
        expect(page.locator(".field-error")).to_have_text(
            "Please enter a display name."
        )
        screenshot(page)
    finally:
        page.context.close()


def test_account_name_is_what_others_see(browser, server, screenshot) -> None:
    page = browser.new_context().new_page()
    guest = join_as_guest(browser, server.url, "Guest Gita", "Staff room")
    try:
        page.goto(server.url + "/auth/register")
        page.fill("#username", "mrsrao")
        page.fill("#display_name", "Mrs Rao")
        page.fill("#password", "correct horse")
        page.fill("#confirm", "correct horse")
        page.click("main button[type=submit]")
        page.click("text=Log out")
        expect(page.locator(".flashes")).to_have_text("You are logged out.")
        page.goto(server.url + "/auth/login")
        page.fill("#username", "mrsrao")
        page.fill("#password", "correct horse")
        page.click("main button[type=submit]")
        expect(page.locator(".whoami")).to_have_text("Mrs Rao")
        page.fill("#room", "staff room")
        page.click("main button[type=submit]")
        expect(page.locator("#message-input")).to_be_enabled()
        send(page, "Staff meeting at 3")
        expect(guest.locator(".message:not(.system) .author")).to_have_text(["Mrs Rao"])
        expect(guest.locator("#people li")).to_have_text(
            ["Guest Gita guest", "Mrs Rao"]
        )
        screenshot(guest)
    finally:
        page.context.close()
        guest.context.close()


def test_shared_location_is_a_link_to_the_coordinates(
    browser, server, screenshot
) -> None:
    where = {"latitude": 12.82, "longitude": 80.04}
    asha = join_as_guest(
        browser,
        server.url,
        "Asha",
        "Field trip",
        geolocation=where,
        permissions=["geolocation"],
    )
    ben = join_as_guest(browser, server.url, "Ben", "Field trip")
    try:
        asha.click("#location-button")
        for page in (asha, ben):
            link = page.locator(".message:not(.system) .body a")
            expect(link).to_have_attribute(
                "href", "https://google.com/maps?q=12.82,80.04"
            )
            expect(link).to_have_attribute("rel", "noopener noreferrer")
        screenshot(ben)
    finally:
        asha.context.close()
        ben.context.close()


def test_closing_a_tab_says_who_left(browser, server, screenshot) -> None:
    asha = join_as_guest(browser, server.url, "Asha", "Art")
    ben = join_as_guest(browser, server.url, "Ben", "Art")
    chen = join_as_guest(browser, server.url, "Chen", "Art")
    try:
        expect(asha.locator("#people li")).to_have_count(3)
        chen.context.close()
        for page in (asha, ben):
            expect(page.locator(".message.system").last).to_contain_text(
                "Chen has left!"
            )
            expect(page.locator("#people li")).to_have_count(2)
        screenshot(asha)
    finally:
        asha.context.close()
        ben.context.close()


def test_reload_brings_history_back_and_scrolling_up_loads_more(
    browser, server, screenshot
) -> None:
    import socketio

    seeder = socketio.Client()
    seeder.connect(server.url, transports=["websocket"])
    seeder.call("join", {"username": "Seeder", "room": "Long"})
    for i in range(1, 201):
        assert seeder.call("sendMessage", f"note {i}")[0] is None
    seeder.disconnect()

    page = join_as_guest(browser, server.url, "Reader", "Long")
    try:
        notes = page.locator(".message:not(.system) .body")
        expect(notes.last).to_have_text("note 200")
        first_page = notes.all_text_contents()
        assert first_page == [f"note {i}" for i in range(151, 201)]
        page.reload()
        expect(page.locator("#message-input")).to_be_enabled()
        expect(notes.last).to_have_text("note 200")
        assert notes.all_text_contents() == first_page  # nothing twice
        marker = page.locator("#history-marker")
        expect(marker).to_be_visible()
        # Keep scrolling to the top, as a reader would, until nothing older is left.
        page.wait_for_function(
            """() => {
                document.querySelector("#messages").scrollTop = 0;
                return document.querySelector("#history-marker").hidden;
            }""",
            polling=250,
            timeout=20000,
        )
        texts = notes.all_text_contents()
        assert texts == [f"note {i}" for i in range(1, 201)]
        expect(marker).to_be_hidden()
        screenshot(page)
    finally:
        page.context.close()


def test_html_in_names_and_messages_is_shown_as_text(
    browser, server, screenshot
) -> None:
    evil = '<img src=x onerror="window.__pwned=1">'
    asha = join_as_guest(browser, server.url, f"Asha{evil}"[:32], "XSS")
    ben = join_as_guest(browser, server.url, "Ben", "XSS")
    try:
        send(asha, f"hello {evil}<script>window.__pwned=2</script>")
        body = ben.locator(".message:not(.system) .body")
        expect(body).to_have_text(f"hello {evil}<script>window.__pwned=2</script>")
        expect(ben.locator("#people li").first).to_contain_text("<img")
        for page in (asha, ben):
            assert page.evaluate("window.__pwned") is None
            assert page.locator("#messages img").count() == 0
        screenshot(ben)
    finally:
        asha.context.close()
        ben.context.close()


def test_phone_sized_screen_shows_the_message_box(browser, server, screenshot) -> None:
    page = join_as_guest(
        browser, server.url, "Phone", "Mobile", viewport={"width": 390, "height": 844}
    )
    try:
        for selector in ("#message-input", "#send-button", "#location-button"):
            box = page.locator(selector).bounding_box()
            assert box is not None and box["x"] >= 0
            assert box["x"] + box["width"] <= 390 and box["y"] + box["height"] <= 844
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390  # no horizontal scrolling
        screenshot(page)
    finally:
        page.context.close()


def test_after_a_server_restart_people_rejoin_and_miss_nothing(
    browser, tmp_path, screenshot
) -> None:
    import socketio

    from ..live_server import free_port, live_server

    port = free_port()
    with live_server(tmp_path, port=port) as first:
        asha = join_as_guest(browser, first.url, "Asha", "Restart")
        ben = join_as_guest(browser, first.url, "Ben", "Restart")
        send(asha, "before the restart")
        expect(ben.locator(".message:not(.system) .body")).to_have_text(
            ["before the restart"]
        )
    try:
        for page in (asha, ben):
            expect(page.locator("#connection")).to_have_text("Reconnecting…")
        # Typed while the server is down: shown as pending, sent once it is back.
        send(asha, "typed while away")
        pending = asha.locator(".message.pending")
        expect(pending).to_have_count(1)
        expect(pending.locator(".state")).to_have_text("Waiting for the connection…")
        screenshot(asha, "pending")
        with live_server(tmp_path, port=port) as second:
            # Said while the browsers may still be waiting to reconnect: more
            # than one history page, so a re-join must fetch the gap too.
            other = socketio.Client()
            other.connect(second.url, transports=["websocket"])
            other.call("join", {"username": "Chen", "room": "Restart"})
            for i in range(1, 61):
                other.call("sendMessage", f"while away {i}")
            other.disconnect()
            for page in (asha, ben):
                expect(page.locator("#connection")).to_be_hidden(timeout=15000)
                bodies = page.locator(".message:not(.system):not(.pending) .body")
                expect(bodies).to_have_count(62)
                texts = bodies.all_text_contents()
                assert texts[0] == "before the restart"
                # Asha's queued message went out when she was back, before or
                # among Chen's, each exactly once.
                assert sorted(texts[1:]) == sorted(
                    ["typed while away"] + [f"while away {i}" for i in range(1, 61)]
                )
                assert [t for t in texts if t.startswith("while away ")] == [
                    f"while away {i}" for i in range(1, 61)
                ]
            expect(asha.locator(".message.pending")).to_have_count(0)
            send(ben, "back again")
            expect(asha.locator(".message:not(.system) .body").last).to_have_text(
                "back again"
            )
            screenshot(asha)
    finally:
        asha.context.close()
        ben.context.close()


def test_long_polling_client_can_send_many_messages_at_once(browser, server) -> None:
    """A long-polling client sends what it buffered in one request: 40 at once."""
    page = join_as_guest(browser, server.url, "Watcher", "Polling")
    try:
        acks = page.evaluate(
            """() => new Promise((resolve) => {
                const s = io({ transports: ["polling"], forceNew: true });
                s.emit("join", { username: "Poller", room: "Polling" }, () => {
                    const sends = [];
                    for (let i = 0; i < 40; i++) {
                        sends.push(s.timeout(15000).emitWithAck("sendMessage", `p${i}p`)
                            .then((error) => error, (err) => String(err)));
                    }
                    Promise.all(sends).then((all) => { s.disconnect(); resolve(all); });
                });
            })"""
        )
        assert acks == [None] * 40
        bodies = page.locator(".message:not(.system) .body")
        expect(bodies).to_have_count(40)
        assert bodies.all_text_contents() == [f"p{i}p" for i in range(40)]
    finally:
        page.context.close()


def test_security_policy_allows_the_chat_and_blocks_inline_script(
    browser, server, csp_violations
) -> None:
    """The CSP lets the chat open its websocket (connect-src 'self' covers
    ws: to the same host) and stops injected inline script and on* handlers."""
    page = browser.new_context().new_page()
    try:
        with page.expect_websocket() as opened:
            page.goto(server.url + "/chat?room=Policy&username=Probe")
        assert "transport=websocket" in opened.value.url
        expect(page.locator("#message-input")).to_be_enabled()
        assert not [text for text in csp_violations if "Content Security" in text]

        page.evaluate(
            """() => {
                const script = document.createElement("script");
                script.textContent = "window.__ran = 1";
                document.body.append(script);
                const box = document.createElement("div");
                box.innerHTML = '<img src="/favicon.svg" onerror="window.__ran = 2">';
                document.body.append(box);
            }"""
        )

        def blocked(what: str) -> bool:
            return any(
                "Content Security" in text and what in text for text in csp_violations
            )

        for _ in range(50):  # console messages arrive asynchronously: up to 5 s
            if blocked("inline script") and blocked("inline event handler"):
                break
            page.wait_for_timeout(100)
        assert blocked("inline script") and blocked("inline event handler"), (
            csp_violations
        )
        assert page.evaluate("window.__ran") is None
    finally:
        page.context.close()
    csp_violations.clear()  # the violations above were on purpose
