/* "Asha is typing…": tells the room while we type (`typing` {typing}, at
 * most once every 3 s while the text changes; a stop when the box is
 * emptied or loses the focus; the server stops it when the message is
 * sent), and shows who else is typing, forgetting anyone not heard from
 * for 6 s. Protocol: docs/protocol.md. */
(function () {
  "use strict";

  const Baithak = (window.Baithak = window.Baithak || {});
  const REFRESH_MS = 3000;
  const FORGET_MS = 6000;

  /* socket; input and form: the message box; lineEl: where the line goes;
   * isJoined(): in the room now. Call reset() on a join or disconnect and
   * keep(users) with each roomData. */
  Baithak.createTyping = function ({ socket, input, form, lineEl, isJoined }) {
    let sentAt = 0; // when we last said we are typing (0: we are not)
    const typists = new Map(); // folded name -> {name, timer}

    function tell(typing) {
      if (!isJoined()) return;
      // A refused report (too many, muted) only costs the indicator.
      socket.timeout(10000).emit("typing", { typing }, () => {});
    }

    function changed() {
      if (!input.value.trim()) {
        stopped();
      } else if (Date.now() - sentAt >= REFRESH_MS) {
        sentAt = Date.now();
        tell(true);
      }
    }

    function stopped() {
      if (sentAt) tell(false);
      sentAt = 0;
    }

    input.addEventListener("input", changed);
    input.addEventListener("blur", stopped);
    form.addEventListener("submit", () => {
      sentAt = 0; // the server stops it when the message arrives
    });

    function draw() {
      const names = [...typists.values()].map((t) => t.name);
      let text = "";
      if (names.length === 1) text = `${names[0]} is typing…`;
      else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`;
      else if (names.length > 2) text = `${names.length} people are typing…`;
      lineEl.textContent = text;
    }

    function forget(key) {
      const entry = typists.get(key);
      if (entry) clearTimeout(entry.timer);
      typists.delete(key);
    }

    socket.on("typing", (data) => {
      if (!data || typeof data.username !== "string") return;
      const key = Baithak.fold(data.username);
      forget(key);
      if (data.typing === true) {
        const timer = setTimeout(() => { typists.delete(key); draw(); }, FORGET_MS);
        typists.set(key, { name: data.username, timer });
      }
      draw();
    });
    // Their message arrived: they are done typing it (the stop may follow).
    socket.on("message", (msg) => {
      if (msg && !msg.system && typeof msg.username === "string") {
        forget(Baithak.fold(msg.username));
        draw();
      }
    });

    return {
      reset() {
        for (const key of [...typists.keys()]) forget(key);
        sentAt = 0;
        draw();
      },
      /* Only people still in the room can be typing. */
      keep(users) {
        const here = new Set(users.map((u) => Baithak.fold(u.username)));
        for (const key of [...typists.keys()]) if (!here.has(key)) forget(key);
        draw();
      },
    };
  };
})();
