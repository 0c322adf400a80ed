/* Presence: tells the server whether this tab's person is looking. Away when
 * the tab is hidden or after BAITHAK_AWAY_AFTER_S seconds (data-away-after
 * on #chat) without a key press, click, touch, scroll or mouse move; active
 * again on the next one. Reports only changes (`presence` {state}); the
 * server combines the tabs of one person (docs/protocol.md). */
(function () {
  "use strict";

  const Baithak = (window.Baithak = window.Baithak || {});
  const ACTIVITY = ["keydown", "pointerdown", "pointermove", "wheel", "touchstart", "scroll", "input", "focus"];

  /* socket; awayAfterS: idle seconds before away. Call joined() after each
   * join ack and left() on a disconnect. */
  Baithak.createPresence = function ({ socket, awayAfterS }) {
    const awayAfterMs = (Number(awayAfterS) > 0 ? Number(awayAfterS) : 300) * 1000;
    let lastActivity = Date.now();
    let wanted = document.hidden ? "away" : "active"; // what we are
    let told = null; // what the server has for this connection (null: not joined)
    let waiting = false; // a report is waiting for its ack, or for a retry

    function report() {
      if (told === null || waiting || told === wanted) return;
      const state = wanted;
      waiting = true;
      socket.timeout(10000).emit("presence", { state }, (timeout, error, data) => {
        waiting = false;
        if (!timeout && !error) {
          told = state;
          report(); // changed again meanwhile
        } else if (told !== null) {
          const wait = data && data.retryAfter ? data.retryAfter * 1000 : 5000;
          waiting = true;
          setTimeout(() => { waiting = false; report(); }, wait);
        }
      });
    }

    function set(state) {
      wanted = state;
      report();
    }

    function active() {
      lastActivity = Date.now();
      if (!document.hidden && wanted !== "active") set("active");
    }

    for (const name of ACTIVITY) window.addEventListener(name, active, { passive: true, capture: true });
    document.addEventListener("visibilitychange", () => {
      if (document.hidden) set("away");
      else active();
    });
    // Checked often enough to notice within a second or two of the limit.
    setInterval(() => {
      if (wanted === "active" && Date.now() - lastActivity >= awayAfterMs) set("away");
    }, Math.min(5000, Math.max(250, awayAfterMs / 4)));

    return {
      /* A join was acked: the server counts a new connection as active. */
      joined() {
        told = "active";
        waiting = false;
        report();
      },
      left() {
        told = null;
      },
      state: () => wanted,
    };
  };
})();
