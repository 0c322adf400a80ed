/* @mention autocomplete in the message box: typing "@" (and the start of a
 * name) lists the people in the room whose name begins so; Up/Down choose,
 * Enter or Tab put "@Name " in the text, Escape closes the list. Names are
 * shown as text (textContent). */
(function () {
  "use strict";

  const Baithak = (window.Baithak = window.Baithak || {});
  const MAX_SHOWN = 8;
  const MAX_QUERY = 32; // a display name's longest
  const WORD = /[\p{L}\p{N}_]/u;

  /* input: the <textarea>; listEl: the <ul> for the suggestions; names():
   * the names one may mention now (the room's people but oneself). */
  Baithak.createMentionPicker = function ({ input, listEl, names }) {
    const fold = Baithak.fold;
    let matches = [];
    let selected = 0;
    let at = -1; // where the "@" being completed is in the text
    let dismissed = -1; // the "@" whose list Escape closed

    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", listEl.id);
    input.setAttribute("aria-expanded", "false");

    /* The "@" before the caret that starts a mention, and what follows it. */
    function currentQuery() {
      const caret = input.selectionStart;
      if (caret !== input.selectionEnd) return null;
      const text = input.value;
      const from = Math.max(0, caret - MAX_QUERY - 1);
      const start = text.lastIndexOf("@", caret - 1);
      if (start < from || start === -1) return null;
      if (start > 0 && WORD.test(text[start - 1])) return null; // an e-mail address
      const query = text.slice(start + 1, caret);
      if (query.includes("\n") || query.startsWith(" ")) return null;
      return { start, query };
    }

    function find(query) {
      const q = fold(query);
      const seen = new Set();
      const found = [];
      for (const name of names()) {
        const key = fold(name);
        if (seen.has(key)) continue;
        seen.add(key);
        const wordStart = key.split(" ").some((word) => word.startsWith(q));
        if (key.startsWith(q) || (!q.includes(" ") && wordStart)) found.push(name);
      }
      // Names that begin with the query first, then by name.
      found.sort((a, b) => Number(!fold(b).startsWith(q)) - Number(!fold(a).startsWith(q)) || a.localeCompare(b));
      return found.slice(0, MAX_SHOWN);
    }

    function close() {
      matches = [];
      at = -1;
      listEl.hidden = true;
      listEl.replaceChildren();
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function draw() {
      listEl.replaceChildren(
        ...matches.map((name, index) => {
          const li = document.createElement("li");
          li.id = `${listEl.id}-${index}`;
          li.setAttribute("role", "option");
          li.setAttribute("aria-selected", String(index === selected));
          const bdi = document.createElement("bdi");
          bdi.textContent = `@${name}`;
          li.append(bdi);
          // mousedown, not click: the message box keeps the focus.
          li.addEventListener("mousedown", (event) => {
            event.preventDefault();
            selected = index;
            choose();
          });
          return li;
        })
      );
      listEl.hidden = false;
      input.setAttribute("aria-expanded", "true");
      input.setAttribute("aria-activedescendant", `${listEl.id}-${selected}`);
    }

    function update() {
      const current = currentQuery();
      if (!current || current.start !== dismissed) dismissed = -1;
      if (!current || current.start === dismissed) {
        close();
        return;
      }
      const found = find(current.query);
      if (!found.length) {
        close();
        return;
      }
      if (current.start !== at || found.join("\n") !== matches.join("\n")) selected = 0;
      at = current.start;
      matches = found;
      draw();
    }

    /* Put "@Name " in place of the "@" and what was typed after it. */
    function choose() {
      const name = matches[selected];
      const caret = input.selectionStart;
      const text = input.value;
      const insert = `@${name} `;
      input.value = text.slice(0, at) + insert + text.slice(caret);
      const end = at + insert.length;
      input.setSelectionRange(end, end);
      dismissed = at; // done with this "@": "@Asha " must not offer "Asha Rao"
      close();
      input.dispatchEvent(new Event("input", { bubbles: true })); // the box re-fits
    }

    input.addEventListener("input", update);
    input.addEventListener("click", update);
    input.addEventListener("blur", close);
    // Registered before the chat's own keydown (Enter sends): while the list
    // is open, these keys are the list's.
    input.addEventListener("keydown", (event) => {
      if (listEl.hidden || !matches.length || event.isComposing) return;
      const keys = {
        ArrowDown: () => { selected = (selected + 1) % matches.length; draw(); },
        ArrowUp: () => { selected = (selected - 1 + matches.length) % matches.length; draw(); },
        Enter: choose,
        Tab: choose,
        Escape: () => { dismissed = at; close(); },
      };
      const act = !event.shiftKey || event.key !== "Enter" ? keys[event.key] : null;
      if (!act) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      act();
    });

    return { close };
  };
})();
