/* Message text as DOM nodes: links, **bold**, *italic* / _italic_, `code`,
 * ```code blocks``` and @mentions. Built with createElement and text nodes
 * only; nothing is ever parsed as HTML, so "<b>x</b>" shows those characters.
 *
 * One left-to-right scan: each marker looks for its closer with indexOf, and
 * a marker found to have no closer after some position is remembered as
 * such, so crafted text (thousands of unclosed "*") stays linear; nesting is
 * capped at MAX_DEPTH. Links are only ever http: or https: (www. gets
 * https://), checked with the URL parser; anything else stays text. */
(function () {
  "use strict";

  const Baithak = (window.Baithak = window.Baithak || {});
  const MAX_DEPTH = 4;
  // Where a URL starts, and what may be in it (no spaces, quotes or brackets
  // that end a URL in prose).
  const URL_START = /^(?:https?:\/\/|www\.)/i;
  const URL_STOP = /[\s<>"]/;
  const TRAILING = /[.,;:!?'*_~]/;
  const WORD = /[\p{L}\p{N}_]/u;

  const fold = (s) => (s || "").normalize("NFKC").toLowerCase();

  /* The names @mentions can match, grouped by length (longest first) so each
   * "@" costs one fold per distinct length, not one per person. */
  function mentionTable(names, me) {
    const byLength = new Map();
    for (const name of names) {
      if (!name) continue;
      const folded = fold(name);
      if (!byLength.has(name.length)) byLength.set(name.length, new Map());
      byLength.get(name.length).set(folded, name);
    }
    const lengths = [...byLength.keys()].sort((a, b) => b - a);
    const firsts = new Set(names.filter(Boolean).map((name) => fold(name[0])));
    return { byLength, lengths, firsts, meKey: me ? fold(me) : null };
  }

  /* The longest known name right after the "@" at `at`, or null. */
  function matchMention(text, at, table) {
    if (at > 0 && WORD.test(text[at - 1])) return null; // an e-mail address
    if (at + 1 >= text.length || !table.firsts.has(fold(text[at + 1]))) return null;
    for (const length of table.lengths) {
      const end = at + 1 + length;
      if (end > text.length || (end < text.length && WORD.test(text[end]))) continue;
      const name = table.byLength.get(length).get(fold(text.slice(at + 1, end)));
      if (name !== undefined) return { end, key: fold(name) };
    }
    return null;
  }

  /* The URL starting at `at`, ending by `limit` (trailing punctuation and unbalanced closing
   * brackets left out), or null. */
  function matchUrl(text, at, limit) {
    if (at > 0 && WORD.test(text[at - 1])) return null;
    if (!URL_START.test(text.slice(at, at + 8))) return null;
    let end = at;
    while (end < limit && !URL_STOP.test(text[end])) end++;
    // Closing brackets without an opening one in the URL are the prose's.
    const depth = { ")": 0, "]": 0 };
    for (let i = at; i < end; i++) {
      if (text[i] === "(") depth[")"]++;
      else if (text[i] === ")") depth[")"]--;
      else if (text[i] === "[") depth["]"]++;
      else if (text[i] === "]") depth["]"]--;
    }
    for (;;) {
      const last = text[end - 1];
      if (TRAILING.test(last)) end--;
      else if ((last === ")" || last === "]") && depth[last] < 0) depth[last]++, end--;
      else break;
    }
    const raw = text.slice(at, end);
    const href = /^www\./i.test(raw) ? `https://${raw}` : raw;
    let url;
    try {
      url = new URL(href);
    } catch (err) {
      return null;
    }
    if ((url.protocol !== "http:" && url.protocol !== "https:") || !url.hostname) return null;
    if (raw.length <= (/^www\./i.test(raw) ? 4 : url.protocol.length + 2)) return null;
    return { end, href: url.href, text: raw };
  }

  function link(match) {
    const a = document.createElement("a");
    a.href = match.href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    a.textContent = match.text;
    return a;
  }

  function element(tag, className) {
    const el = document.createElement(tag);
    if (className) el.className = className;
    return el;
  }

  /* Parses one message; `noCloser` remembers "no closer for marker m at or
   * after position p" so failed searches are never repeated. */
  function Parser(text, table) {
    this.text = text;
    this.table = table;
    this.noCloser = new Map(); // marker -> first position known to have none after it
    this.mentionsMe = false;
  }

  Parser.prototype.closer = function (marker, from, limit) {
    const known = this.noCloser.get(marker);
    if (known !== undefined && from >= known) return -1;
    const at = this.text.indexOf(marker, from);
    if (at === -1) {
      this.noCloser.set(marker, Math.min(from, known === undefined ? from : known));
      return -1;
    }
    return at < limit ? at : -1;
  };

  /* ```block``` at `at`: its content (one newline trimmed at each end). */
  Parser.prototype.codeBlock = function (at, limit) {
    const close = this.closer("```", at + 3, limit);
    if (close === -1) return null;
    let body = this.text.slice(at + 3, close);
    if (body.startsWith("\n")) body = body.slice(1);
    if (body.endsWith("\n")) body = body.slice(0, -1);
    if (!body.trim()) return null;
    const pre = element("pre", "code-block");
    const code = element("code");
    code.textContent = body;
    pre.append(code);
    return { node: pre, end: close + 3 };
  };

  /* A span opened by `marker` at `at`: bold (**), italic (* or _) or code (`). */
  Parser.prototype.span = function (marker, at, limit, depth) {
    const text = this.text;
    const start = at + marker.length;
    if (start >= limit || /\s/.test(text[start])) return null;
    if (marker === "_" && at > 0 && WORD.test(text[at - 1])) return null; // snake_case
    let close = this.closer(marker, start, limit);
    // "**" inside an italic "*...*" is not its end, nor is a "*" of a "**".
    while (close !== -1 && marker === "*" && close + 1 < limit && text[close + 1] === "*") {
      close = this.closer(marker, close + 2, limit);
    }
    // "***x***": the bold closes on the last two, around an italic "*x*".
    while (close !== -1 && marker === "**" && text[close + 2] === "*") close++;
    if (close === -1 || close === start || /\s/.test(text[close - 1])) return null;
    if (marker === "_" && close + 1 < text.length && WORD.test(text[close + 1])) return null;
    const tag = marker === "`" ? "code" : marker === "**" ? "strong" : "em";
    const node = element(tag);
    if (marker === "`") node.textContent = text.slice(start, close);
    else this.inline(node, start, close, depth + 1);
    return { node, end: close + marker.length };
  };

  /* Append text[from, to) to `parent` as text, links, mentions and spans. */
  Parser.prototype.inline = function (parent, from, to, depth) {
    const text = this.text;
    let plain = from; // start of the text not yet appended
    let i = from;
    const flush = (until) => {
      if (until > plain) parent.append(text.slice(plain, until));
    };
    while (i < to) {
      const ch = text[i];
      let found = null;
      if (ch === "`" && text.startsWith("```", i) && depth === 0) found = this.codeBlock(i, to);
      else if (ch === "`") found = this.span("`", i, to, depth);
      else if ((ch === "*" || ch === "_") && depth < MAX_DEPTH) {
        found = text.startsWith("**", i) ? this.span("**", i, to, depth) : null;
        if (!found) found = this.span(ch, i, to, depth);
      } else if (ch === "@") {
        const m = matchMention(text, i, this.table);
        if (m && m.end <= to) {
          const node = element("span", "mention");
          node.dataset.key = m.key;
          node.textContent = text.slice(i, m.end);
          if (m.key === this.table.meKey) {
            node.classList.add("me");
            this.mentionsMe = true;
          }
          found = { node, end: m.end };
        }
      } else if (ch === "h" || ch === "H" || ch === "w" || ch === "W") {
        const m = matchUrl(text, i, to);
        if (m) found = { node: link(m), end: m.end };
      }
      if (found) {
        flush(i);
        parent.append(found.node);
        i = plain = found.end;
      } else {
        // Skip a run of the same marker at once ("****..." costs one step).
        const run = ch === "*" || ch === "_" || ch === "`" ? runEnd(text, i, to) : i + 1;
        i = run;
      }
    }
    flush(to);
  };

  function runEnd(text, i, to) {
    const ch = text[i];
    let j = i + 1;
    while (j < to && text[j] === ch) j++;
    // A run of two or three may still open "**" or "```": only skip longer ones.
    return j - i > 3 ? j : i + 1;
  }

  let lastKey = null;
  let lastTable = null;

  /* Return {fragment, mentionsMe} for a message's text. options.names: the
   * display names @mentions may match (the longest wins, case-insensitive);
   * options.me: our own name (its mentions get class "me"). */
  Baithak.formatText = function (text, options) {
    const opts = options || {};
    // A page of history is formatted with the same names: build them once.
    const key = `${opts.me || ""}\u0000${(opts.names || []).join("\u0000")}`;
    if (key !== lastKey) {
      lastTable = mentionTable(opts.names || [], opts.me);
      lastKey = key;
    }
    const table = lastTable;
    const parser = new Parser(String(text), table);
    const fragment = document.createDocumentFragment();
    parser.inline(fragment, 0, parser.text.length, 0);
    return { fragment, mentionsMe: parser.mentionsMe };
  };
})();
