/* Baithak's small shared helpers for the chat page's scripts (loaded first):
 * name folding, names as text, and the few icons, built as DOM nodes (the
 * CSP allows no inline markup). Everything lives on window.Baithak. */
(function () {
  "use strict";

  const Baithak = (window.Baithak = window.Baithak || {});
  const SVG = "http://www.w3.org/2000/svg";

  // 24x24 paths: a padlock, a speech bubble, three dots, a bin, a reply arrow,
  // a smile, a pencil, a magnifier.
  const PATHS = {
    lock: "M17 9h-1V7a4 4 0 0 0-8 0v2H7a2 2 0 0 0-2 2v9a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2v-9a2 2 0 0 0-2-2zm-7-2a2 2 0 1 1 4 0v2h-4V7zm2 11a2 2 0 1 1 0-4 2 2 0 0 1 0 4z",
    chat: "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z",
    more: "M12 5.5a2 2 0 1 1 0 4 2 2 0 0 1 0-4zm0 5a2 2 0 1 1 0 4 2 2 0 0 1 0-4zm0 5a2 2 0 1 1 0 4 2 2 0 0 1 0-4z",
    trash: "M9 3h6l1 2h4v2H4V5h4l1-2zm-3 6h12l-1 12a2 2 0 0 1-2 2H9a2 2 0 0 1-2-2L6 9z",
    reply: "M10 9V5l-7 7 7 7v-4.1c5 0 8.5 1.6 11 5.1-1-5-4-10-11-11z",
    smile: "M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm0 18a8 8 0 1 1 0-16 8 8 0 0 1 0 16zm-3.5-9a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3zm7 0a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3zM12 17.5c2.3 0 4.3-1.4 5.1-3.5H6.9c.8 2.1 2.8 3.5 5.1 3.5z",
    pencil: "M3 17.25V21h3.75L17.8 9.94l-3.75-3.75L3 17.25zM20.7 7.04a1 1 0 0 0 0-1.41l-2.34-2.34a1 1 0 0 0-1.41 0l-1.83 1.83 3.75 3.75 1.83-1.83z",
    search: "M15.5 14h-.8l-.3-.3A6.5 6.5 0 1 0 14 15.5l.3.3v.8l5 5 1.5-1.5-5-5zm-6 0a4.5 4.5 0 1 1 0-9 4.5 4.5 0 0 1 0 9z",
  };

  /* An icon for decoration: hidden from screen readers (say it in a label). */
  Baithak.icon = function (name) {
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("class", `icon icon-${name}`);
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", PATHS[name]);
    svg.append(path);
    return svg;
  };

  /* Names compare as the server compares them (close enough: NFKC, lower case). */
  Baithak.fold = function (name) {
    return (name || "").normalize("NFKC").toLowerCase();
  };

  /* A name as text in a <bdi> (a right-to-left name must not reorder the text
   * around it), then a "guest" tag for people without an account. */
  Baithak.appendName = function (parent, username, guest, className) {
    const name = document.createElement("bdi");
    if (className) name.className = className;
    name.textContent = username;
    parent.append(name);
    if (guest) {
      const tag = document.createElement("span");
      tag.className = "tag";
      tag.textContent = "guest";
      parent.append(" ", tag);
    }
  };

  /* Text only screen readers read (an icon's meaning, a count's unit). */
  Baithak.srText = function (text) {
    const span = document.createElement("span");
    span.className = "visually-hidden";
    span.textContent = text;
    return span;
  };
})();
