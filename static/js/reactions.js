/* Emoji reactions: a row of chips under a message (emoji and count; pressed
 * when one of them is ours; the title says who), updated live from the
 * `reactions` event, and the picker of the allowed emoji (docs/protocol.md).
 * Clicking a chip or a picker emoji toggles our reaction. */
(function () {
  "use strict";

  const Baithak = (window.Baithak = window.Baithak || {});
  // The server's set, in its order (services/reactions.py).
  const ALLOWED = ["👍", "❤️", "😂", "😮", "😢", "🎉"];
  const NAMES = { "👍": "thumbs up", "❤️": "heart", "😂": "laughing", "😮": "surprised", "😢": "sad", "🎉": "party" };

  /* messagesEl; socket; showError(text); me(): our name in the room. */
  Baithak.createReactions = function ({ messagesEl, socket, showError, me }) {
    function toggle(id, emoji) {
      socket.timeout(10000).emit("react", { id, emoji }, (timeout, error) => {
        if (timeout || error) showError(timeout ? "No answer from the server; try again." : error);
      });
    }

    function isMine(users) {
      const mine = Baithak.fold(me());
      return (users || []).some((name) => Baithak.fold(name) === mine);
    }

    /* The chips of one message: an empty (hidden) row when it has none. */
    function row(id, list) {
      const el = document.createElement("div");
      el.className = "reactions";
      for (const r of list || []) {
        const chip = document.createElement("button");
        chip.type = "button";
        chip.className = "reaction";
        const mine = isMine(r.users);
        chip.setAttribute("aria-pressed", String(mine));
        chip.title = `${r.users.join(", ")} reacted with ${r.emoji}`;
        chip.setAttribute("aria-label", `${NAMES[r.emoji] || r.emoji}: ${r.count}${mine ? ", including you" : ""}`);
        const emoji = document.createElement("span");
        emoji.className = "emoji";
        emoji.textContent = r.emoji;
        const count = document.createElement("span");
        count.className = "count";
        count.textContent = String(r.count);
        chip.append(emoji, count);
        chip.addEventListener("click", () => toggle(id, r.emoji));
        el.append(chip);
      }
      el.hidden = !el.childElementCount;
      return el;
    }

    /* The allowed emoji as buttons; `done` runs after one is picked. */
    function picker(id, done) {
      const el = document.createElement("div");
      el.className = "reaction-picker";
      el.setAttribute("role", "group");
      el.setAttribute("aria-label", "React with");
      for (const emoji of ALLOWED) {
        const b = document.createElement("button");
        b.type = "button";
        b.textContent = emoji;
        b.title = NAMES[emoji];
        b.setAttribute("aria-label", NAMES[emoji]);
        b.addEventListener("click", () => {
          toggle(id, emoji);
          done();
        });
        el.append(b);
      }
      return el;
    }

    /* A `reactions` event: redraw that message's chips, if it is shown. */
    function update(data) {
      if (!data) return;
      const item = messagesEl.querySelector(`[data-id="${Number(data.id)}"]`);
      if (!item || item.classList.contains("deleted")) return;
      if (item.baithakMsg) item.baithakMsg.reactions = data.reactions;
      const old = item.querySelector(".reactions");
      if (old) old.replaceWith(row(data.id, data.reactions));
    }

    socket.on("reactions", update);
    return { row, picker };
  };
})();
