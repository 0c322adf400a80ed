/* Searching the room: a search box above the conversation; the hits (the
 * newest 50, newest first) in a panel over the messages. Clicking a hit
 * goes to that message when it is loaded. Texts are set as text only. */
(function () {
  "use strict";

  const Baithak = (window.Baithak = window.Baithak || {});
  const when = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

  /* form/input: the search box; panel, list, summary, close: the results;
   * socket; jumpTo(id): show a message if loaded (false if it is not). */
  Baithak.createSearch = function ({ form, input, panel, list, summary, close, socket, jumpTo }) {
    function hide() {
      panel.hidden = true;
      list.replaceChildren();
    }

    function hit(msg) {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.className = "search-hit";
      const head = document.createElement("span");
      head.className = "hit-meta";
      Baithak.appendName(head, msg.username, msg.guest, "author");
      const time = document.createElement("time");
      time.dateTime = new Date(msg.createdAt).toISOString();
      time.textContent = when.format(new Date(msg.createdAt));
      head.append(" ", time);
      const text = document.createElement("span");
      text.className = "hit-text";
      text.dir = "auto";
      text.textContent = msg.text;
      b.append(head, text);
      b.addEventListener("click", () => {
        if (jumpTo(msg.id)) hide();
        else b.title = "Not loaded here: scroll up in the conversation to reach it.";
      });
      li.append(b);
      return li;
    }

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const query = input.value.trim();
      if (!query) {
        hide();
        return;
      }
      summary.textContent = "Searching…";
      panel.hidden = false;
      socket.timeout(10000).emit("searchHistory", { query }, (timeout, error, data) => {
        list.replaceChildren();
        if (timeout || error) {
          summary.textContent = timeout ? "No answer from the server; try again." : error;
          return;
        }
        const n = data.messages.length;
        summary.textContent = n
          ? `${n}${data.hasMore ? "+" : ""} message${n === 1 ? "" : "s"} with “${query}”${data.hasMore ? " (the newest 50)" : ""}`
          : `No messages with “${query}”.`;
        list.append(...data.messages.map(hit));
      });
    });

    input.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        input.value = "";
        hide();
      }
    });
    input.addEventListener("search", () => input.value || hide()); // the clear (×) button
    close.addEventListener("click", () => {
      hide();
      input.focus();
    });
    panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        hide();
        input.focus();
      }
    });
    return { hide };
  };
})();
