"""Reactions, edits, own deletes, replies and search in headless Chromium,
two people on the live server."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from .test_chat_browser import join_as_guest, send


def message(page: Page, text: str):  # type: ignore[no-untyped-def]
    """The shown message whose body has `text`."""
    return page.locator(
        ".message:not(.system)", has=page.locator(".body", has_text=text)
    )


def action(page: Page, text: str, name: str):  # type: ignore[no-untyped-def]
    """Hover the message with `text` and return its action button `name`."""
    item = message(page, text)
    item.hover()
    return item.locator(".message-actions").get_by_role("button", name=name, exact=True)


def test_reactions_show_live_for_both_and_toggle_off(
    browser, server, screenshot
) -> None:
    asha = join_as_guest(browser, server.url, "Asha", "Lab")
    ben = join_as_guest(browser, server.url, "Ben", "Lab")
    try:
        send(asha, "We won the science quiz!")
        expect(message(ben, "We won")).to_have_count(1)
        action(ben, "We won", "React").click()
        ben.get_by_role("button", name="thumbs up").click()
        for page in (asha, ben):
            chip = message(page, "We won").locator(".reaction")
            expect(chip).to_have_count(1)
            expect(chip).to_have_text("👍1")
            expect(chip).to_have_attribute("title", "Ben reacted with 👍")
        expect(message(ben, "We won").locator(".reaction")).to_have_attribute(
            "aria-pressed", "true"
        )
        expect(message(asha, "We won").locator(".reaction")).to_have_attribute(
            "aria-pressed", "false"
        )
        screenshot(asha, "one")
        # Asha adds hers by clicking the chip; then both take theirs back.
        message(asha, "We won").locator(".reaction").click()
        for page in (asha, ben):
            chip = message(page, "We won").locator(".reaction")
            expect(chip).to_have_text("👍2")
            expect(chip).to_have_attribute("title", "Ben, Asha reacted with 👍")
        action(asha, "We won", "React").click()
        asha.get_by_role("button", name="party").click()
        expect(message(ben, "We won").locator(".reaction")).to_have_text(["👍2", "🎉1"])
        ben.mouse.move(0, 0)
        screenshot(ben, "two")
        message(ben, "We won").locator(".reaction").first.click()
        expect(message(asha, "We won").locator(".reaction").first).to_have_text("👍1")
        message(asha, "We won").locator(".reaction").first.click()
        message(asha, "We won").locator(".reaction").last.click()
        for page in (asha, ben):
            expect(message(page, "We won").locator(".reaction")).to_have_count(0)
        # After a reload the history brings them back.
        message(ben, "We won").hover()
        action(ben, "We won", "React").click()
        ben.get_by_role("button", name="heart").click()
        asha.reload()
        expect(message(asha, "We won").locator(".reaction")).to_have_text("❤️1")
    finally:
        asha.context.close()
        ben.context.close()


def test_edit_reply_and_delete_ones_own(browser, server, screenshot) -> None:
    asha = join_as_guest(browser, server.url, "Asha", "Homework")
    ben = join_as_guest(browser, server.url, "Ben", "Homework")
    try:
        send(asha, "Homwork is page 12")
        send(ben, "ok")
        expect(message(ben, "Homwork")).to_have_count(1)
        # Ben may neither edit nor delete Asha's message.
        expect(action(ben, "Homwork", "Edit message")).to_have_count(0)
        expect(action(ben, "Homwork", "Delete message")).to_be_hidden()

        # Asha edits hers in place: Escape cancels, Enter saves.
        action(asha, "Homwork", "Edit message").click()
        box = asha.locator(".edit-box")
        expect(box).to_be_focused()
        box.fill("never mind")
        box.press("Escape")
        expect(box).to_have_count(0)
        expect(message(asha, "Homwork").locator(".body")).to_be_visible()
        action(asha, "Homwork", "Edit message").click()
        screenshot(asha, "editing")
        asha.locator(".edit-box").fill("Homework is page 12, exercises 1-5")
        asha.locator(".edit-box").press("Enter")
        for page in (asha, ben):
            edited = message(page, "Homework is page 12, exercises 1-5")
            expect(edited).to_have_count(1)
            expect(edited.locator(".edited")).to_have_text("(edited)")

        # Ben replies: a preview above the box, a quote above his reply.
        action(ben, "Homework is", "Reply").click()
        preview = ben.locator("#reply-preview")
        expect(preview).to_be_visible()
        expect(preview).to_contain_text("Replying to Asha")
        expect(ben.locator("#message-input")).to_be_focused()
        screenshot(ben, "reply-preview")
        send(ben, "Thanks! Due Friday?")
        expect(preview).to_be_hidden()
        for page in (asha, ben):
            quote = message(page, "Thanks!").locator(".reply-quote")
            expect(quote).to_contain_text("Asha")
            expect(quote).to_contain_text("Homework is page 12, exercises 1-5")
        # Cancelling a reply sends a plain message.
        action(ben, "ok", "Reply").click()
        ben.get_by_role("button", name="Cancel reply").click()
        expect(preview).to_be_hidden()
        send(ben, "plain one")
        expect(message(asha, "plain one").locator(".reply-quote")).to_have_count(0)
        # The quote goes to the original.
        message(asha, "Thanks!").locator(".reply-quote").click()
        expect(message(asha, "Homework is")).to_have_class(re.compile("flash"))
        screenshot(asha, "replied")

        # Asha deletes her own message: gone for both, the quote says so.
        action(asha, "Homework is", "Delete message").click()
        for page in (asha, ben):
            expect(page.locator(".message.deleted .body")).to_have_text(
                "Message deleted"
            )
            expect(message(page, "Thanks!").locator(".reply-quote")).to_contain_text(
                "Message deleted"
            )
        ben.reload()
        expect(ben.locator(".message.deleted .body")).to_have_text("Message deleted")
        expect(message(ben, "Thanks!").locator(".reply-quote")).to_contain_text(
            "Message deleted"
        )
        expect(message(ben, "Thanks!").locator(".reply-quote")).to_have_class(
            re.compile("deleted")
        )
        screenshot(ben, "deleted")
    finally:
        asha.context.close()
        ben.context.close()


def test_search_shows_hits_and_goes_to_one(browser, server, screenshot) -> None:
    asha = join_as_guest(browser, server.url, "Asha", "Search")
    try:
        for text in ("Bring the ATLAS", "lunch at 1", "atlas page 40", "50% off"):
            send(asha, text)
        expect(message(asha, "50% off")).to_have_count(1)
        asha.fill("#search-input", "atlas")
        asha.press("#search-input", "Enter")
        panel = asha.locator("#search-results")
        expect(panel).to_be_visible()
        expect(panel.locator(".hit-text")).to_have_text(
            ["atlas page 40", "Bring the ATLAS"]
        )
        expect(asha.locator("#search-summary")).to_have_text("2 messages with “atlas”")
        screenshot(asha, "results")
        panel.locator(".search-hit").last.click()
        expect(panel).to_be_hidden()
        expect(message(asha, "Bring the ATLAS")).to_have_class(re.compile("flash"))
        asha.fill("#search-input", "%")
        asha.press("#search-input", "Enter")
        expect(panel.locator(".hit-text")).to_have_text(["50% off"])
        asha.fill("#search-input", "zebra")
        asha.press("#search-input", "Enter")
        expect(asha.locator("#search-summary")).to_have_text(
            "No messages with “zebra”."
        )
        asha.press("#search-input", "Escape")
        expect(panel).to_be_hidden()
    finally:
        asha.context.close()
