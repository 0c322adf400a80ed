"""Links, formatting, @mentions, unread counts and notifications in headless
Chromium: the formatter on its own (a table of hostile cases), then people
chatting against the real server."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .test_chat_browser import join_as_guest, send
from .test_moderation_browser import owner_and_member, person

FORMAT_JS = Path(__file__).resolve().parents[2] / "static" / "js" / "format.js"

# The DOM format.js builds, as [tag, {attributes}, children...] and strings.
SERIALIZE = """([text, names, me]) => {
  const ser = (n) => n.nodeType === Node.TEXT_NODE ? n.data : [n.tagName.toLowerCase(),
    Object.fromEntries([...n.attributes].map((a) => [a.name, a.value])),
    ...[...n.childNodes].map(ser)];
  const started = performance.now();
  const result = window.Baithak.formatText(text, {names, me});
  const ms = performance.now() - started;
  const nodes = [...result.fragment.childNodes].map(ser);
  return {nodes, mentionsMe: result.mentionsMe, ms};
}"""
REL = {"target": "_blank", "rel": "noopener noreferrer"}


def a(href: str, text: str | None = None) -> list:
    return ["a", {"href": href, **REL}, text or href]


def tag(name: str):  # type: ignore[no-untyped-def]
    return lambda *children: [name, {}, *children]


def mention(text: str, key: str, me: bool = False) -> list:
    return ["span", {"class": "mention me" if me else "mention", "data-key": key}, text]


b, i, code = tag("strong"), tag("em"), tag("code")
WIKI = "https://en.wikipedia.org/wiki/Foo_(bar)"

# Shown exactly as typed: one text node, no element at all.
LITERAL = [
    "javascript:alert(1)",
    "JavaScript://%0aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "ftp://x.com http:// https:// www.",
    "xhttps://x.com",
    "<b>x</b> & <img src=x onerror=alert(1)>",
    "**unclosed *nested",
    "snake_case_name 2 * 3 * 4 a*b",
    "```never closed `x",
    "** spaced ** `` __",
]
CASES = [(text, [text]) for text in LITERAL] + [
    # Links: only http(s) (www. gets https://), trailing punctuation left out.
    ("see https://x.com/a_b?x=1, ok", ["see ", a("https://x.com/a_b?x=1"), ", ok"]),
    ("www.example.org.", [a("https://www.example.org/", "www.example.org"), "."]),
    (f"({WIKI})", ["(", a(WIKI), ")"]),
    ('https://x.com"onclick=1', [a("https://x.com/", "https://x.com"), '"onclick=1']),
    ("**<i>no</i>**", [b("<i>no</i>")]),
    # Formatting.
    ("**b** *i* _i_ `c`", [b("b"), " ", i("i"), " ", i("i"), " ", code("c")]),
    ("***both***", [b(i("both"))]),
    ("*a **b** c*", [i("a ", b("b"), " c")]),
    ("`**not bold** https://x.com`", [code("**not bold** https://x.com")]),
    (
        "```\nline 1\n<b>2</b>\n```",
        [["pre", {"class": "code-block"}, code("line 1\n<b>2</b>")]],
    ),
    # Mentions: the longest name wins, any case; not in e-mail addresses or code.
    (
        "hi @Asha Rao and @asha, @BEN! mail asha@x.com @Bent",
        [
            "hi ",
            mention("@Asha Rao", "asha rao"),
            " and ",
            mention("@asha", "asha", me=True),
            ", ",
            mention("@BEN", "ben"),
            "! mail asha@x.com @Bent",
        ],
    ),
    ("`@Asha` https://x.com/@Asha", [code("@Asha"), " ", a("https://x.com/@Asha")]),
]

# Crafted 2,000-character messages: each must render in well under 50 ms.
CRAFTED = [
    "*" * 2000, "*a" * 1000, "**a" * 666, "_a " * 666, "`" * 2000, "`a" * 1000,
    "```" * 666, "@" * 2000, "@Asha" * 400, "http://" * 285, "www." * 500,
    "https://x.com/" + ")" * 1986, "*_`" * 666, "**_*`" * 400, "a*" * 1000,
    "(" * 1000 + "https://x.com" + ")" * 987, "h" * 2000, "_*" * 1000,
]  # fmt: skip


@pytest.fixture(scope="module")
def formatter(browser):  # type: ignore[no-untyped-def]
    """A blank page with format.js loaded (no server needed)."""
    page = browser.new_context().new_page()
    page.set_content("<p></p>")
    page.add_script_tag(path=str(FORMAT_JS))
    yield page
    page.context.close()


@pytest.mark.parametrize(("text", "nodes"), CASES)
def test_formatter_builds_safe_nodes(formatter, text, nodes) -> None:
    result = formatter.evaluate(SERIALIZE, [text, ["Asha", "Asha Rao", "Ben"], "Asha"])
    assert result["nodes"] == nodes
    assert result["mentionsMe"] == ("@asha," in text)


@pytest.mark.parametrize("text", CRAFTED, ids=lambda t: t[:12])
def test_formatter_is_fast_on_crafted_text(formatter, text) -> None:
    assert len(text) <= 2000
    names = [f"Person {n}" for n in range(200)] + ["Asha"]
    worst = max(
        formatter.evaluate(SERIALIZE, [text, names, "Asha"])["ms"] for _ in range(3)
    )
    assert worst < 50, f"{worst:.1f} ms"


def test_links_are_clickable_and_hostile_text_shows_as_typed(
    browser, server, screenshot
) -> None:
    asha = join_as_guest(browser, server.url, "Asha", "Links")
    ben = join_as_guest(browser, server.url, "Ben", "Links")
    try:
        send(asha, "Notes: https://example.com/maths_(7B). **Read** them, `p. 12`")
        send(asha, "javascript:alert(1) <b>bold?</b> **unclosed _x")
        bodies = ben.locator(".message:not(.system) .body")
        expect(bodies).to_have_count(2)
        link = bodies.first.locator("a")
        expect(link).to_have_text("https://example.com/maths_(7B)")
        expect(link).to_have_attribute("href", "https://example.com/maths_(7B)")
        expect(link).to_have_attribute("target", "_blank")
        expect(link).to_have_attribute("rel", "noopener noreferrer")
        expect(bodies.first.locator("strong")).to_have_text("Read")
        expect(bodies.first.locator("code")).to_have_text("p. 12")
        expect(bodies.last).to_have_text(
            "javascript:alert(1) <b>bold?</b> **unclosed _x"
        )
        assert bodies.last.locator("a, b, strong, em").count() == 0
        screenshot(ben)
    finally:
        asha.context.close()
        ben.context.close()


# A Notification stand-in: records what would be shown, and when permission
# was asked for (it must never be asked without a click).
FAKE_NOTIFICATION = """
window.__notes = []; window.__asked = 0;
window.Notification = class {
  constructor(title, options) { window.__notes.push([title, options.body]); }
  addEventListener() {}
  close() {}
  static requestPermission() {
    window.__asked++; window.Notification.permission = "granted";
    return Promise.resolve("granted");
  }
};
window.Notification.permission = "default";
"""
HIDE_TAB = """(hidden) => {
  Object.defineProperty(document, "hidden", {configurable: true, get: () => hidden});
  Object.defineProperty(document, "visibilityState", {configurable: true,
    get: () => hidden ? "hidden" : "visible"});
  document.dispatchEvent(new Event("visibilitychange"));
}"""


def guest_with_fake_notifications(
    browser, url: str, name: str, room: str, **options
) -> Page:  # type: ignore[no-untyped-def]
    """join_as_guest, in a browser whose Notification is FAKE_NOTIFICATION."""
    context = browser.new_context(**options)
    context.add_init_script(FAKE_NOTIFICATION)
    page = context.new_page()
    page.goto(url + "/")
    page.fill("#username", name)
    page.fill("#room", room)
    page.click("main button[type=submit]")
    expect(page.locator("#message-input")).to_be_enabled()
    return page


def test_mentions_autocomplete_highlight_and_notify(
    browser, server, screenshot
) -> None:
    asha = guest_with_fake_notifications(browser, server.url, "Asha Rao", "Mentions")
    ben = join_as_guest(browser, server.url, "Ben", "Mentions")
    try:
        expect(ben.locator("#people li")).to_have_count(2)
        expect(asha.locator("#notify-banner")).to_be_hidden()  # nobody asked yet
        box = ben.locator("#message-input")
        box.press_sequentially("Thanks @as")
        options = ben.locator("#mention-list [role=option]")
        expect(options).to_have_text(["@Asha Rao"])
        screenshot(ben, "autocomplete")
        box.press("Escape")
        expect(ben.locator("#mention-list")).to_be_hidden()
        box.press_sequentially("h")  # still the same "@": stays closed
        expect(ben.locator("#mention-list")).to_be_hidden()
        box.fill("")
        box.press_sequentially("@r")
        expect(options).to_have_text(["@Asha Rao"])  # a later word of the name
        box.press("Enter")  # picks the name, does not send
        expect(box).to_have_value("@Asha Rao ")
        expect(ben.locator("#mention-list")).to_be_hidden()
        box.press_sequentially("can you check https://example.com?")
        box.press("Enter")
        expect(box).to_have_value("")

        mine = asha.locator(".message.mentions-me")
        expect(mine).to_have_count(1)
        expect(mine.locator(".mention.me")).to_have_text("@Asha Rao")
        expect(ben.locator(".message .mention")).to_have_text("@Asha Rao")
        expect(ben.locator(".message.mentions-me")).to_have_count(0)
        # The first mention offers notifications; nothing was asked on load.
        expect(asha.locator("#notify-banner")).to_be_visible()
        assert asha.evaluate("window.__asked") == 0
        screenshot(asha, "mentioned")
        asha.get_by_role("button", name="Enable").click()
        expect(asha.locator("#notify-banner")).to_be_hidden()
        assert asha.evaluate("window.__asked") == 1
        assert asha.evaluate("localStorage.getItem('baithak.notify.asked')") == "yes"

        # In a hidden tab: the title counts, a mention notifies.
        asha.evaluate(HIDE_TAB, True)
        send(ben, "lunch?")
        send(ben, "@asha rao the register please")
        expect(asha).to_have_title("(2) Mentions · Baithak")
        assert asha.evaluate("window.__notes") == [
            ["Ben mentioned you in Mentions", "@asha rao the register please"]
        ]
        asha.evaluate(HIDE_TAB, False)
        expect(asha).to_have_title("Mentions · Baithak")
    finally:
        asha.context.close()
        ben.context.close()


def test_no_thanks_is_remembered(browser, server, screenshot) -> None:
    phone = {"width": 390, "height": 844}
    asha = guest_with_fake_notifications(
        browser, server.url, "Asha", "Quiet", viewport=phone
    )
    ben = join_as_guest(browser, server.url, "Ben", "Quiet")
    try:
        send(ben, "@Asha hello, see `notes.pdf` at https://example.com/notes")
        expect(asha.locator("#notify-banner")).to_be_visible()
        screenshot(asha, "phone")
        asha.get_by_role("button", name="No thanks").click()
        expect(asha.locator("#notify-banner")).to_be_hidden()
        asha.reload()
        expect(asha.locator("#message-input")).to_be_enabled()
        send(ben, "@Asha again")
        expect(asha.locator(".message.mentions-me")).to_have_count(2)
        expect(asha.locator("#notify-banner")).to_be_hidden()
        assert asha.evaluate("window.__asked") == 0
    finally:
        asha.context.close()
        ben.context.close()


def test_unread_badge_for_a_conversation_one_is_not_in(
    browser, server, screenshot
) -> None:
    asha, ravi = owner_and_member(
        browser, server, "Staffroom", ("uasha", "Usha"), ("uravi", "Uday")
    )
    try:
        person(ravi, "Usha").get_by_role("button", name="Message Usha").click()
        expect(ravi.locator("#room-title")).to_have_text("Usha")
        send(ravi, "Are you free at 3?")
        send(ravi, "It is about the exams")
        dm = asha.locator("#my-direct-list a", has_text="Uday")
        expect(dm.locator(".unread")).to_have_text("2 unread")
        expect(dm.locator(".unread")).to_have_attribute("title", "2 unread")
        screenshot(asha, "badge")
        dm.click()
        expect(asha.locator(".message:not(.system) .body")).to_have_count(2)
        # Read there: back in the staffroom, the badge is gone for good.
        asha.locator("#my-rooms-list a", has_text="Staffroom").click()
        expect(asha.locator("#message-input")).to_be_enabled()
        expect(asha.locator("#my-direct-list a", has_text="Uday")).to_be_visible()
        expect(asha.locator("#my-direct-list .unread")).to_have_count(0)
        expect(ravi.locator("#my-rooms-list .unread")).to_have_count(0)
        screenshot(asha, "read")
    finally:
        asha.context.close()
        ravi.context.close()
