"""Presence, typing and profiles in headless Chromium against the real
server, which counts a tab idle for 2 s as away."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from ..live_server import LiveServer, live_server
from .test_chat_browser import join_as_guest
from .test_moderation_browser import enter, person, register

AWAY_AFTER_S = 2


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The real server, with a short idle time before a tab is away."""
    with live_server(
        tmp_path_factory.mktemp("server"), BAITHAK_AWAY_AFTER_S=str(AWAY_AFTER_S)
    ) as running:
        yield running


def set_hidden(page: Page, hidden: bool) -> None:
    """Make the tab look hidden (or shown) to the page, as switching tabs does."""
    page.evaluate(
        """(hidden) => {
            const define = (name, value) => Object.defineProperty(
                document, name, {configurable: true, get: () => value});
            define("hidden", hidden);
            define("visibilityState", hidden ? "hidden" : "visible");
            document.dispatchEvent(new Event("visibilitychange"));
        }""",
        hidden,
    )


def test_typing_shows_who_and_clears_on_send(browser, server, screenshot) -> None:
    asha = join_as_guest(browser, server.url, "Asha", "Typing")
    bela = join_as_guest(browser, server.url, "Bela", "Typing")
    chen = join_as_guest(browser, server.url, "Chen", "Typing")
    try:
        line = bela.locator("#typing")
        expect(line).to_have_text("")
        asha.type("#message-input", "Good morn")
        expect(line).to_have_text("Asha is typing…")
        chen.type("#message-input", "Hel")
        expect(line).to_have_text("Asha and Chen are typing…")
        expect(asha.locator("#typing")).to_have_text("Chen is typing…")  # not herself
        screenshot(bela, "two-typing")
        asha.type("#message-input", "ing")
        asha.press("#message-input", "Enter")
        expect(line).to_have_text("Chen is typing…")
        expect(bela.locator(".message:not(.system) .body")).to_have_text(
            ["Good morning"]
        )
        chen.fill("#message-input", "")  # emptied the box: stopped
        expect(line).to_have_text("")
        # Typing, then silence: forgotten after ~6 s without a refresh.
        chen.type("#message-input", "x")
        expect(line).to_have_text("Chen is typing…")
        bela.wait_for_timeout(4000)
        expect(line).to_have_text("Chen is typing…")
        expect(line).to_have_text("", timeout=4000)
        chen.type("#message-input", "y")
        expect(line).to_have_text("Chen is typing…")
        chen.context.close()  # the server stops it for one who leaves
        expect(line).to_have_text("")
        screenshot(bela, "cleared")
    finally:
        for page in (asha, bela):
            page.context.close()


def test_status_dots_away_when_every_tab_is_then_offline(
    browser, server, screenshot
) -> None:
    rao = register(browser, server.url, "rao", "Mrs Rao")
    rao.goto(server.url + "/profile")
    rao.fill("#status_emoji", "📚")
    rao.fill("#status_text", "Marking homework")
    rao.fill("#bio", "Maths, 7B and 8A.")
    rao.click("main button[type=submit]")
    expect(rao.locator(".flashes")).to_have_text("Your profile is saved.")
    screenshot(rao, "own-profile")
    enter(rao, server.url, "room=Staff")
    second_tab = rao.context.new_page()
    enter(second_tab, server.url, "room=Staff")
    bela = join_as_guest(browser, server.url, "Bela", "Staff")
    try:
        row = person(bela, "Mrs Rao")
        expect(row).to_have_attribute("data-status", "online")
        expect(row.locator(".person-status")).to_have_text("📚 Marking homework")
        expect(row.locator(".status-dot")).to_have_attribute("aria-label", "Online")
        for page in (rao, second_tab, bela):
            page.mouse.move(10, 10)  # activity: nobody idles into away yet
        set_hidden(rao, True)
        bela.wait_for_timeout(500)
        expect(row).to_have_attribute("data-status", "online")  # one tab still looks
        set_hidden(second_tab, True)
        expect(row).to_have_attribute("data-status", "away")
        expect(row.locator(".status-dot")).to_have_attribute("aria-label", "Away")
        screenshot(bela, "away")
        set_hidden(second_tab, False)
        expect(row).to_have_attribute("data-status", "online")
        # No key, click or mouse for AWAY_AFTER_S: away again, by itself.
        expect(row).to_have_attribute("data-status", "away", timeout=8000)
        second_tab.mouse.move(50, 60)
        expect(row).to_have_attribute("data-status", "online")

        second_tab.close()
        expect(row).to_have_attribute("data-status", "away")  # the hidden tab stays
        rao.context.close()
        expect(person(bela, "Mrs Rao")).to_have_count(0)
        # Her name in the list was a link to her profile; it says when.
        bela.goto(server.url + "/users/Mrs%20Rao")
        expect(bela.locator("#presence")).to_have_text("Last seen just now")
        expect(bela.locator(".avatar")).to_have_text("MR")
        expect(bela.locator("#custom-status")).to_have_text("📚 Marking homework")
        screenshot(bela, "profile-last-seen")
    finally:
        bela.context.close()


def test_names_in_the_people_list_link_to_profiles(browser, server, screenshot) -> None:
    dev = register(browser, server.url, "dev", "Dev")
    enter(dev, server.url, "room=Library")
    guest = join_as_guest(browser, server.url, "Gita", "Library")
    try:
        expect(person(guest, "Gita").locator("a")).to_have_count(0)  # guests: none
        person(guest, "Dev").locator("a.profile-link").click()
        expect(guest.locator("h1")).to_have_text("Dev")
        # Connected: online, or already away if this machine took longer than
        # AWAY_AFTER_S (2 s) since Dev's last key press (seen under load).
        expect(guest.locator("#presence")).to_have_text(re.compile("Online now|Away"))
        screenshot(guest, "profile")
    finally:
        dev.context.close()
        guest.context.close()
