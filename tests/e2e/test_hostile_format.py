"""Hostile text against static/js/format.js in headless Chromium: no link but
http(s), no markup from text, and crafted 2000-character messages stay fast."""

from __future__ import annotations

import pytest

from .test_attention_browser import FORMAT_JS

# Every link's href and the tags built, and how long formatting took.
PROBE = """([text, names]) => {
  const started = performance.now();
  const {fragment} = window.Baithak.formatText(text, {names, me: names[0]});
  const ms = performance.now() - started;
  const box = document.createElement("div");
  box.append(fragment);
  return {ms, hrefs: [...box.querySelectorAll("a")].map((a) => a.href),
          tags: [...new Set([...box.querySelectorAll("*")].map((e) => e.tagName))],
          attrs: [...box.querySelectorAll("*")].flatMap((e) =>
                   [...e.attributes].map((x) => x.name)),
          text: box.textContent};
}"""

HOSTILE = [
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "&#106;avascript:alert(1) &#x6A;avascript:alert(1)",
    "https:javascript:alert(1)",
    "http:/javascript:alert(1)",
    "http://javascript:alert(1)",
    "https://x.com\\@javascript:alert(1)",
    "www.javascript:alert(1)",
    "[click](javascript:alert(1))",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1) file:///etc/passwd blob:https://x.com/1",
    "\u202ehttps://moc.live\u202c",
    'https://x.com/"onmouseover=alert(1)//',
    "**`<img src=x onerror=alert(1)>`** *_<svg/onload=alert(1)>_*",
    "``` <script>alert(1)</script> ```",
    '@Asha<script>alert(1)</script> @Asha" onclick=alert(1)',
    "*a **b _c `d` e_ f** g* " * 3,
]
ALLOWED_TAGS = {"A", "STRONG", "EM", "CODE", "PRE", "SPAN"}
ALLOWED_ATTRS = {"href", "target", "rel", "class", "data-key"}
CRAFTED = {
    "unclosed stars": "*a " * 666,
    "nested stars": "*a **b " * 285,
    "underscores": "_a " * 666,
    "backticks": "`a " * 666,
    "bold opens": "**" * 1000,
    "failing www": ".www.%" * 333,
    "failing http": "(http://[" * 222,
    "brackets": "https://x.com/" + "()" * 990,
    "trailing": "https://x.com/" + ".,;:!?" * 330,
    "mentions": "@Asha Ra" * 250,
    "mixed": "*_`@www.h" * 222,
}


@pytest.fixture(scope="module")
def formatter(browser):  # type: ignore[no-untyped-def]
    page = browser.new_context().new_page()
    page.set_content("<p></p>")
    page.add_script_tag(path=str(FORMAT_JS))
    yield page
    page.context.close()


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_makes_no_unsafe_link_or_markup(formatter, text) -> None:
    result = formatter.evaluate(PROBE, [text, ["Asha", "Asha Rao"]])
    assert all(h.startswith(("http://", "https://")) for h in result["hrefs"]), result
    assert set(result["tags"]) <= ALLOWED_TAGS, result
    assert set(result["attrs"]) <= ALLOWED_ATTRS, result

    # Every character shows as typed (but the formatting markers).
    def unmarked(s: str) -> str:
        return s.translate({ord(c): None for c in "*_`"})

    assert unmarked(result["text"]) == unmarked(text)
    assert "javascript" not in " ".join(result["hrefs"]).split("//", 1)[0]


@pytest.mark.parametrize("name", sorted(CRAFTED))
def test_crafted_text_formats_fast(formatter, name) -> None:
    text = CRAFTED[name][:2000]
    result = formatter.evaluate(PROBE, [text, ["Asha", "Asha Rao", "Ben"]])
    assert result["ms"] < 100, f"{name}: {result['ms']:.0f} ms"
