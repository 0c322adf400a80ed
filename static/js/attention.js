/* What the chat page does to get a reader's attention, and to know it has it:
 * it tells the server what has been read (markRead, when the newest message
 * is on screen in a visible tab, at most once a second), counts messages that
 * arrive while the tab is hidden in its title ("(3) Maths · Baithak"), and
 * shows a browser notification for a message that mentions us then. It asks
 * for that permission only after a click on "Enable" in a small banner, once
 * (the answer is kept in localStorage). */
(function () {
  "use strict";

  const Baithak = (window.Baithak = window.Baithak || {});
  const MARK_EVERY_MS = 1000;
  const ASKED_KEY = "baithak.notify.asked"; // "yes" or "no": never ask again

  function stored(key) {
    try {
      return localStorage.getItem(key);
    } catch (err) {
      return null; // storage disabled: ask, but only this page's life
    }
  }

  function store(key, value) {
    try {
      localStorage.setItem(key, value);
    } catch (err) {
      // Storage disabled: the banner stays away until the page reloads.
    }
  }

  /* socket; messagesEl; atBottom(): the newest message is on screen;
   * newestSeq(): its seq (null: none); canMark(): joined with an account;
   * banner: the notification offer (with [data-answer=yes|no] buttons). */
  Baithak.createAttention = function ({ socket, messagesEl, atBottom, newestSeq, canMark, banner }) {
    let baseTitle = document.title.replace(/^\(\d+\) /, "");
    let hiddenCount = 0; // messages that came while the tab was hidden
    let countedId = 0; // the newest message id counted (live copies come twice)
    let markedSeq = 0; // the newest seq sent in markRead
    let lastMark = 0;
    let timer = null;
    let room = "";
    let bannerAnswered = false;

    function drawTitle() {
      document.title = hiddenCount > 0 ? `(${hiddenCount}) ${baseTitle}` : baseTitle;
    }

    /* The page's title for the room (the count goes in front while hidden). */
    function setTitle(title) {
      room = title;
      baseTitle = `${title} · Baithak`;
      drawTitle();
    }

    /* Tell the server we have read up to the newest message, if we have. */
    function markRead() {
      clearTimeout(timer);
      timer = null;
      const seq = newestSeq();
      if (document.hidden || !canMark() || !atBottom() || seq == null || seq <= markedSeq) return;
      const wait = lastMark + MARK_EVERY_MS - Date.now();
      if (wait > 0) {
        timer = setTimeout(markRead, wait);
        return;
      }
      lastMark = Date.now();
      markedSeq = seq;
      socket.timeout(10000).emit("markRead", { seq }, (timeout, error) => {
        if (timeout || error) markedSeq = Math.min(markedSeq, seq - 1); // try again later
      });
    }

    function canNotify() {
      return "Notification" in window && Notification.permission === "granted";
    }

    function offerNotifications() {
      if (!banner || bannerAnswered || !("Notification" in window)) return;
      if (Notification.permission !== "default" || stored(ASKED_KEY)) return;
      banner.hidden = false;
    }

    function answer(yes) {
      bannerAnswered = true;
      banner.hidden = true;
      store(ASKED_KEY, yes ? "yes" : "no");
      if (yes) Notification.requestPermission(); // after a click: a user gesture
    }

    function notify(msg) {
      if (!canNotify()) return;
      const text = typeof msg.text === "string" ? msg.text : "";
      const note = new Notification(`${msg.username} mentioned you in ${room}`, {
        body: text.length > 200 ? `${text.slice(0, 199)}…` : text,
        tag: `baithak-mention-${msg.id}`,
      });
      note.addEventListener("click", () => {
        window.focus();
        note.close();
      });
    }

    /* A live message was shown as `el` (null: not a stored one). */
    function arrived(msg, el) {
      if (!el || msg.id === undefined || msg.system || msg.id <= countedId) return;
      countedId = msg.id;
      const mine = el.classList.contains("mine");
      const mentionsMe = el.classList.contains("mentions-me");
      if (mentionsMe) offerNotifications();
      if (document.hidden && !mine) {
        hiddenCount++;
        drawTitle();
        if (mentionsMe) notify(msg);
      }
      markRead();
    }

    document.addEventListener("visibilitychange", () => {
      if (document.hidden) return;
      hiddenCount = 0;
      drawTitle();
      markRead();
    });
    messagesEl.addEventListener("scroll", () => {
      if (!timer) markRead();
    });
    if (banner) {
      banner.querySelector("[data-answer=yes]").addEventListener("click", () => answer(true));
      banner.querySelector("[data-answer=no]").addEventListener("click", () => answer(false));
    }

    return { setTitle, markRead, arrived, offerNotifications };
  };
})();
