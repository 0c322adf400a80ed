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
    page.click("button[type=submit]")
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
        page.click("button[type=submit]")
        expect(page.locator(".field-error")).to_have_text(
            "Please enter a display name."
        )
        screenshot(page)
    finally:
        page.context.close()
