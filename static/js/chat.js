/* Baithak chat client: joins the room named in ?room=, or the room ?id=, or
 * the one whose join ?code= it is (as ?username= for guests); shows messages
 * and people live, sends text and locations; moderators delete messages.
 * Helpers: ui.js, myrooms.js (the sidebar's rooms), people.js (the people
 * list and its menus), moderation.js (deleted messages), actions.js (reply,
 * react, edit, delete), reactions.js, search.js, format.js (links,
 * formatting, @mentions in a message), mentions.js (@name autocomplete),
 * attention.js (markRead, the tab title's count, notifications), presence.js
 * (active or away) and typing.js ("… is typing"). Protocol: docs/protocol.md.
 * Everything a user typed is rendered as text (text nodes), never as HTML. */
(function () {
  "use strict";

  const chat = document.getElementById("chat");
  const messagesEl = document.getElementById("messages");
  const marker = document.getElementById("history-marker");
  const peopleEl = document.getElementById("people");
  const peopleCount = document.getElementById("people-count");
  const roomTitle = document.getElementById("room-title");
  const connectionEl = document.getElementById("connection");
  const form = document.getElementById("compose");
  const input = document.getElementById("message-input");
  const sendButton = document.getElementById("send-button");
  const locationButton = document.getElementById("location-button");
  const composeError = document.getElementById("compose-error");
  const joinError = document.getElementById("join-error");
  const roomKindEl = document.getElementById("room-kind");
  const removedEl = document.getElementById("removed");
  const { fold, appendName } = window.Baithak;

  const params = new URLSearchParams(window.location.search);
  const wanted = whichRoom();
  const NEAR_BOTTOM_PX = 80;
  const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
  const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

  let me = null;          // our name in the room, from the join ack
  let joined = false;     // in the room on the current connection
  let wasJoined = false;  // joined at least once since the page loaded
  let lastUsers = [];     // the latest roomData, re-drawn once `me` is known
  let joining = false;    // a join is waiting for its ack
  let pendingUnstored = []; // the welcome arrives before the join ack's history
  let newestId = null;    // id of the newest message shown
  let newestSeq = null;   // its per-room sequence number (a jump means a gap)
  // Everything up to this message (id, seq) is shown, with no gap: catching
  // up always starts here, and only a finished catch-up moves it past a hole.
  let complete = null;
  let catchingUp = false;
  let oldestId = null;    // id of the oldest message shown
  let hasMore = false;    // older history exists on the server
  let loadingOlder = false;
  let roomId = null;      // the room's id, from the join ack
  let roomKind = null;    // "public", "private" or "direct"
  let myRole = null;      // ours there: "owner", "moderator", "member"; null: a guest
  let can = [];           // the moderation actions our role allows there
  let removed = false;    // a moderator took us out: no re-joining from this page

  const socket = io({ autoConnect: false });
  const people = window.Baithak.createPeople({
    listEl: peopleEl,
    countEl: peopleCount,
    socket,
    showError: showComposeError,
    openRoom: (id) => window.location.assign(roomUrl(id)),
  });
  const myRooms = window.Baithak.createMyRooms({
    section: document.getElementById("my-rooms"),
    chatUrl: chat.dataset.chatUrl,
    socket,
    current: () => ({ id: roomId, online: joined ? lastUsers.length : null }),
  });
  const reactions = window.Baithak.createReactions({ messagesEl, socket, showError: showComposeError, me: () => me });
  const actions = window.Baithak.createMessageActions({
    messagesEl,
    socket,
    showError: showComposeError,
    reactions,
    input,
    jumpTo,
    preview: {
      box: document.getElementById("reply-preview"),
      name: document.getElementById("reply-name"),
      text: document.getElementById("reply-text"),
      cancel: document.getElementById("reply-cancel"),
    },
  });
  const tools = window.Baithak.createMessageTools({ messagesEl, onDeleted: actions.undecorate });
  window.Baithak.createSearch({
    form: document.getElementById("search"),
    input: document.getElementById("search-input"),
    panel: document.getElementById("search-results"),
    list: document.getElementById("search-list"),
    summary: document.getElementById("search-summary"),
    close: document.getElementById("search-close"),
    socket,
    jumpTo,
  });
  // Before the message box's own keydown: Enter picks a name while listed.
  window.Baithak.createMentionPicker({
    input,
    listEl: document.getElementById("mention-list"),
    names: () => lastUsers.map((user) => user.username).filter((name) => !me || fold(name) !== fold(me)),
  });
  const attention = window.Baithak.createAttention({
    socket,
    messagesEl,
    atBottom: () => isNearBottom(),
    newestSeq: () => newestSeq,
    canMark: () => joined && myRole !== null,
    banner: document.getElementById("notify-banner"),
  });
  const presence = window.Baithak.createPresence({ socket, awayAfterS: chat.dataset.awayAfter });
  const typing = window.Baithak.createTyping({
    socket, input, form, lineEl: document.getElementById("typing"), isJoined: () => joined,
  });

  // Messages typed but not yet acknowledged, oldest first: {clientId, text,
  // createdAt}. Kept in sessionStorage, so a reload sends them still; each
  // keeps its clientId, so a re-send after a lost ack is stored only once.
  // One outbox per room: by name for ?room= (as before ids), else by id;
  // a join by code learns the id from the ack.
  let outboxKey = wanted.room !== undefined
    ? `baithak.outbox.${fold(wanted.room)}`
    : wanted.roomId !== undefined ? `baithak.outbox.id.${wanted.roomId}` : null;
  let outbox = outboxKey ? loadOutbox() : [];
  let sending = false;    // outbox[0] is waiting for its ack

  /* The join payload the page asks for: ?id= (or data-room-id), ?code= (or
   * data-code), else ?room= (or data-room). */
  function whichRoom() {
    const username = params.get("username") || "";
    const id = Number.parseInt(params.get("id") || chat.dataset.roomId || "", 10);
    if (Number.isSafeInteger(id) && id > 0) return { username, roomId: id };
    const code = params.get("code") || chat.dataset.code;
    if (code) return { username, code };
    return { username, room: params.get("room") || chat.dataset.room || "" };
  }

  function roomUrl(id) {
    const url = new URL(chat.dataset.chatUrl, window.location.href);
    url.searchParams.set("id", String(id));
    return url.pathname + url.search;
  }

  // --- rendering ----------------------------------------------------------

  function isNearBottom() {
    return messagesEl.scrollHeight - messagesEl.scrollTop - messagesEl.clientHeight < NEAR_BOTTOM_PX;
  }

  function scrollToBottom() {
    messagesEl.scrollTop = messagesEl.scrollHeight;
  }

  /* Run `change`; a reader who was at the bottom stays at the bottom. */
  function keepingBottom(change) {
    const stick = isNearBottom();
    change();
    if (stick) scrollToBottom();
  }

  function buildMessage(msg) {
    const item = document.createElement("article");
    item.className = "message";
    if (msg.system) item.classList.add("system");
    else if (me && fold(msg.username) === fold(me)) item.classList.add("mine");
    if (msg.id !== undefined) item.dataset.id = String(msg.id);
    item.baithakMsg = msg; // for redrawing it after an edit
    item.dataset.author = msg.system ? "" : fold(msg.username);
    item.dataset.time = String(msg.createdAt);

    const meta = document.createElement("header");
    const when = document.createElement("time");
    const date = new Date(msg.createdAt);
    when.dateTime = date.toISOString();
    when.title = fullFormat.format(date);
    when.textContent = timeFormat.format(date);
    appendName(meta, msg.username, msg.guest, "author");
    meta.append(" ", when);

    const body = document.createElement("p");
    body.className = "body";
    body.dir = "auto"; // each message takes its own direction (Urdu, Arabic, ...)
    body.title = fullFormat.format(date);
    if (msg.deleted) {
      tools.showAsDeleted(item, body);
    } else if (msg.url !== undefined) {
      const link = document.createElement("a");
      // Only ever link to the web; the server builds this URL, but trust nothing.
      link.href = /^https:\/\//.test(msg.url) ? msg.url : "#";
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      link.textContent = "My current location";
      body.append(link);
    } else if (msg.system) {
      body.textContent = msg.text;
    } else {
      // Links, formatting and @mentions, as DOM nodes (format.js: never HTML).
      const names = lastUsers.map((user) => user.username);
      const formatted = window.Baithak.formatText(msg.text, { names: me ? [...names, me] : names, me });
      body.append(formatted.fragment);
      if (formatted.mentionsMe && !item.classList.contains("mine")) item.classList.add("mentions-me");
    }
    item.append(meta, body);
    actions.decorate(item, msg, body);
    return item;
  }

  /* An edit (messageEdited): the message is built again with its new text. */
  function showEdited(data) {
    const old = data && messagesEl.querySelector(`[data-id="${Number(data.id)}"]`);
    if (!old || !old.baithakMsg || old.classList.contains("deleted")) return;
    const el = buildMessage({ ...old.baithakMsg, text: data.text, editedAt: data.editedAt });
    el.hidden = old.hidden;
    keepingBottom(() => old.replaceWith(el));
    regroup(el);
  }

  /* Scroll to a message and flash it; false when it is not loaded. */
  function jumpTo(id) {
    const el = messagesEl.querySelector(`[data-id="${Number(id)}"]`);
    if (!el || el.hidden) return false;
    el.scrollIntoView({ block: "center", behavior: "smooth" });
    el.classList.remove("flash");
    void el.offsetWidth; // restart the animation
    el.classList.add("flash");
    return true;
  }

  function setCan(list, joinCode) {
    can = Array.isArray(list) ? list : [];
    tools.setAllowed(can.includes("delete_message"));
    // Owners and moderators see the join code to read out, and the settings.
    const admin = document.getElementById("room-admin");
    admin.hidden = !can.includes("invite") || roomId === null;
    if (!admin.hidden) {
      document.getElementById("room-code").textContent = joinCode || "";
      document.getElementById("room-code").parentElement.hidden = !joinCode;
      document.getElementById("room-settings-link").href = `${chat.dataset.lobbyUrl}/${roomId}/settings`;
    }
  }

  /* Consecutive messages by one person within GROUP_MS show their name once. */
  const GROUP_MS = 5 * 60 * 1000;

  function regroup(el) {
    for (const item of [el, el.nextElementSibling]) {
      if (!item || !item.classList.contains("message")) continue;
      const prev = item.previousElementSibling;
      const same =
        prev && prev.classList.contains("message") && item.dataset.author &&
        prev.dataset.author === item.dataset.author &&
        Number(item.dataset.time) - Number(prev.dataset.time) < GROUP_MS;
      item.classList.toggle("continued", Boolean(same));
    }
  }

  function hasMessage(id) {
    return id !== undefined && messagesEl.querySelector(`[data-id="${Number(id)}"]`) !== null;
  }

  /* Show a message once, in id order (ids increase within a room). A message
   * newer than all shown goes at the end, after any unstored ones (the
   * welcome, which has no id); older ones (history pages) go in their place. */
  function insertMessage(msg) {
    if (msg.id === undefined && joining) {
      pendingUnstored.push(msg);
      return;
    }
    if (msg.clientId) sent(msg.clientId); // our own, now stored: no longer pending
    if (hasMessage(msg.id)) {
      if (msg.deleted) tools.markDeleted(msg.id); // erased while we were away
      return;
    }
    const el = buildMessage(msg);
    placeMessage(el, msg);
    regroup(el);
  }

  function placeMessage(el, msg) {
    const id = msg.id;
    if (id === undefined || newestId === null || id > newestId) {
      if (id !== undefined) {
        newestId = id;
        newestSeq = msg.seq;
      }
      // Messages still being sent stay last, below everything the server has.
      const firstPending = messagesEl.querySelector(".pending");
      if (firstPending) firstPending.before(el);
      else messagesEl.append(el);
      return;
    }
    const stored = messagesEl.querySelectorAll("[data-id]");
    for (let i = stored.length - 1; i >= 0; i--) {
      if (Number(stored[i].dataset.id) < id) {
        stored[i].after(el);
        return;
      }
    }
    marker.after(el);
  }

  /* A live message; a jump in its room's seq means we missed one: fetch it. */
  function showLive(msg) {
    keepingBottom(() => insertMessage(msg));
    attention.arrived(msg, msg.id === undefined ? null : messagesEl.querySelector(`[data-id="${Number(msg.id)}"]`));
    if (msg.seq === undefined || complete === null) return;
    if (msg.seq === complete.seq + 1) complete = { id: msg.id, seq: msg.seq };
    else if (msg.seq > complete.seq + 1 && joined) catchUp();
  }

  /* Show a page of history; `older` says it was asked for by scrolling up, so
   * `more` is the final word on whether even older messages exist. */
  function showHistory(list, more, older) {
    const before = messagesEl.scrollHeight;
    const top = messagesEl.scrollTop;
    const stick = isNearBottom();
    const initial = oldestId === null;
    list.forEach(insertMessage);
    if (older) hasMore = more;
    if (list.length && (oldestId === null || list[0].id < oldestId)) {
      oldestId = list[0].id;
      hasMore = more;
    }
    marker.hidden = !hasMore;
    marker.textContent = hasMore ? "Load older messages" : "";
    if (initial || (!older && stick)) scrollToBottom();
    else if (older) messagesEl.scrollTop = top + (messagesEl.scrollHeight - before);
    // A tall screen may show the whole page with nothing to scroll: fetch more.
    if (hasMore && messagesEl.scrollHeight <= messagesEl.clientHeight) loadOlder();
  }

  function renderPeople(users) {
    lastUsers = users;
    people.render(users, { me, role: myRole, can, kind: roomKind, account: myRole !== null });
    myRooms.redraw();
  }

  /* The room's name in the sidebar, the tab and the message box; a private
   * room or a direct conversation says so under the name. */
  function showTitle(title) {
    roomTitle.textContent = title;
    input.placeholder = `Message ${title}`;
    attention.setTitle(title); // "(3) <title> · Baithak" while hidden
    const kinds = { private: "Private room", direct: "Direct message" };
    roomKindEl.replaceChildren();
    if (kinds[roomKind]) {
      if (roomKind === "private") roomKindEl.append(window.Baithak.icon("lock"), " ");
      roomKindEl.append(kinds[roomKind]);
    }
    roomKindEl.hidden = !kinds[roomKind];
  }

  function setConnection(text) {
    connectionEl.textContent = text;
    connectionEl.hidden = !text;
  }

  /* Once joined, typing and sending work even while disconnected (messages
   * wait in the outbox); sharing a location needs the connection. */
  function setCanSend(connected) {
    const canType = !removed && (connected || wasJoined);
    input.disabled = !canType;
    sendButton.disabled = !canType;
    locationButton.disabled = removed || !connected || !("geolocation" in navigator);
  }

  function showComposeError(text) {
    // The error line takes room from the messages.
    keepingBottom(() => {
      composeError.textContent = text;
      composeError.hidden = !text;
    });
  }

  /* The message box grows with its text, up to the CSS max-height. */
  function fitInput() {
    keepingBottom(() => {
      input.style.height = "auto";
      input.style.height = `${input.scrollHeight + 2}px`;
    });
  }

  // --- socket events --------------------------------------------------------

  /* After a network drop the server may still hold our old connection (and
   * name) until its ping times out (~45 s), so a re-join refused with
   * name_in_use is retried for a while instead of ending the chat. */
  const REJOIN_RETRY_MS = 3000;
  const REJOIN_TRIES = 20;
  // Refusals that pass by themselves: the join is tried again after a while.
  const RETRY_JOIN = new Set(["shutting_down", "rate_limited", "unavailable"]);

  function join(attempt) {
    setConnection(wasJoined ? "Reconnecting…" : "Joining…");
    joining = true;
    socket.emit("join", wanted, (error, data) => {
      joining = false;
      const unstored = pendingUnstored;
      pendingUnstored = [];
      if (error) {
        const code = data && data.code;
        const passing = RETRY_JOIN.has(code) || (wasJoined && code === "name_in_use");
        if (passing && attempt < REJOIN_TRIES) {
          const wait = data.retryAfter ? data.retryAfter * 1000 : REJOIN_RETRY_MS;
          setConnection(code === "name_in_use" ? "Reconnecting…" : error);
          setTimeout(() => socket.connected && join(attempt + 1), wait);
          return;
        }
        joined = false;
        setConnection("");
        showJoinError(error, code);
        socket.disconnect();
        return;
      }
      const rejoined = wasJoined;
      joined = wasJoined = true;
      me = data.username;
      roomId = data.roomId;
      roomKind = data.kind;
      myRole = data.role === undefined ? null : data.role;
      setCan(data.can, data.joinCode);
      // Re-join by id (a renamed room keeps it); a guest who came with the
      // join code needs the code again (only members enter by id).
      if (!(wanted.code && myRole === null)) Object.assign(wanted, { roomId, room: undefined, code: undefined });
      if (outboxKey === null) {
        outboxKey = `baithak.outbox.id.${roomId}`;
        outbox = loadOutbox();
      }
      showTitle(data.room);
      setConnection("");
      setCanSend(true);
      typing.reset();
      presence.joined();
      renderPeople(lastUsers); // roomData came before the ack, when `me` was unknown
      if (myRole !== null) myRooms.refresh();
      showHistory(data.messages, data.hasMore, false);
      hideOwnJoinNotice(data);
      if (rejoined) {
        // More than a page may have been said while we were away: fetch all
        // of it, from the last message before which nothing is missing.
        catchUp();
      } else {
        const last = data.messages[data.messages.length - 1];
        complete = last ? { id: last.id, seq: last.seq } : { id: 0, seq: 0 };
        unstored.forEach(showLive); // the welcome, once
        outbox.forEach(showPending); // left from before a reload
      }
      flush();
      input.focus();
      attention.markRead();
    });
  }

  /* The join was refused for good: say why, with a way back (and to log in,
   * when that is what it takes). */
  function showJoinError(error, code) {
    document.getElementById("join-error-text").textContent = error;
    const back = document.getElementById("join-error-back");
    if (wanted.room !== undefined) {
      const again = new URL(back.href);
      if (wanted.username) again.searchParams.set("username", wanted.username);
      back.href = again.href;
    } else {
      back.href = chat.dataset.lobbyUrl; // a room by id or code: no join form for it
      back.textContent = "Back to the lobby";
    }
    const login = document.getElementById("join-error-login");
    if (code === "login_required") {
      const url = new URL(chat.dataset.loginUrl, window.location.href);
      url.searchParams.set("next", window.location.pathname + window.location.search);
      login.href = url.pathname + url.search;
      login.hidden = false;
    }
    peopleEl.previousElementSibling.hidden = true; // no "People" in no room
    joinError.hidden = false;
  }

  /* The history ends with our own "<name> has joined!" (so its seq has no
   * gap); the others need it, the joiner has the welcome instead. */
  function hideOwnJoinNotice(data) {
    const own = data.messages[data.messages.length - 1];
    if (!own || !own.system || own.text !== `${data.username} has joined!`) return;
    const el = messagesEl.querySelector(`[data-id="${Number(own.id)}"]`);
    if (el) el.hidden = true;
  }

  /* Load every message after the last one before which nothing is missing,
   * page by page; on a failure try again while joined (a re-join starts one
   * anyway). Only then is everything up to the newest shown complete. */
  function catchUp() {
    if (catchingUp || complete === null || !joined) return;
    catchingUp = true;
    socket.timeout(10000).emit("loadHistory", { after: complete.id }, (timeout, error, data) => {
      catchingUp = false;
      if (!joined) return; // the re-join catches up again, from `complete`
      if (timeout || error) {
        const wait = data && data.retryAfter ? data.retryAfter * 1000 : 2000;
        setTimeout(catchUp, wait);
        return;
      }
      keepingBottom(() => data.messages.forEach(insertMessage));
      const last = data.messages[data.messages.length - 1];
      if (last) complete = { id: last.id, seq: last.seq };
      if (data.hasMore) {
        catchUp();
      } else if (newestSeq != null && newestSeq > complete.seq) {
        // What arrived live meanwhile is newer than the page: nothing between.
        complete = { id: newestId, seq: newestSeq };
      }
    });
  }

  socket.on("connect", () => {
    if (!removed) join(0);
    else if (myRole !== null) myRooms.refresh(); // the sidebar still works
  });

  socket.on("disconnect", (reason) => {
    joined = false;
    loadingOlder = false;
    sending = false; // its ack will never come: sent again after the re-join
    presence.left();
    typing.reset();
    setCanSend(false);
    if (removed) {
      setConnection("");
    } else if (reason === "io server disconnect") {
      setConnection("Disconnected by the server. Reload the page to join again.");
    } else if (wasJoined) {
      setConnection("Reconnecting…");
    }
  });

  socket.on("connect_error", (err) => {
    if (socket.active) {
      setConnection(wasJoined ? "Reconnecting…" : "Cannot reach the server; retrying…");
    } else {
      // Refused by the server (too many connections from this network): say
      // why, and try again later rather than never.
      setConnection(`${err.message} Trying again in 30 s…`);
      setTimeout(() => socket.connect(), 30000);
    }
  });

  socket.on("message", showLive);
  socket.on("locationMessage", showLive);
  socket.on("roomData", (data) => {
    if (removed) return;
    roomKind = data.kind || roomKind;
    // A rename shows live; a direct conversation's title is the other
    // person's name (the join ack's), not the room's.
    if (roomKind !== "direct" && typeof data.room === "string" && roomId !== null) showTitle(data.room);
    renderPeople(data.users || []);
    typing.keep(data.users || []);
  });
  socket.on("messageDeleted", (data) => {
    if (!data) return;
    tools.markDeleted(data.id);
    actions.originalDeleted(data.id);
  });
  socket.on("messageEdited", showEdited);
  // Our role here changed (made moderator, or member again).
  socket.on("membership", (data) => {
    if (!data || data.roomId !== roomId) return;
    myRole = data.role === undefined ? null : data.role;
    setCan(data.can, data.joinCode);
    renderPeople(lastUsers);
  });
  socket.on("removed", (data) => {
    if (!data || (roomId !== null && data.roomId !== roomId)) return;
    showRemoved(data);
  });
  // The server is stopping (a restart): it closes the connection next, and we
  // reconnect by ourselves once it is back.
  socket.on("shutdown", (data) => setConnection((data && data.text) || "The server is restarting…"));

  /* A moderator took us out (or deleted the room): say so, and stay out. */
  function showRemoved(data) {
    removed = true;
    joined = false;
    sending = false;
    const titles = {
      banned: "You were banned from this room",
      deleted: "This room was deleted",
      guests_off: "This room is for members only now",
    };
    document.getElementById("removed-title").textContent = titles[data.reason] || "You were removed from this room";
    document.getElementById("removed-text").textContent = data.text || "";
    removedEl.hidden = false;
    setCan([]);
    typing.reset();
    lastUsers = [];
    people.render([], {});
    peopleEl.previousElementSibling.hidden = true; // the "People" heading
    input.placeholder = "You are no longer in this room";
    setConnection("");
    setCanSend(false);
    for (const item of outbox) setPendingState(item, "Not sent: you are no longer in this room.");
    showComposeError("");
    removedEl.querySelector("a").focus();
  }

  // --- sending ----------------------------------------------------------------

  function loadOutbox() {
    try {
      const saved = JSON.parse(sessionStorage.getItem(outboxKey) || "[]");
      return Array.isArray(saved) ? saved.filter((m) => m && m.clientId && typeof m.text === "string") : [];
    } catch (err) {
      return [];
    }
  }

  function saveOutbox() {
    try {
      if (outboxKey) sessionStorage.setItem(outboxKey, JSON.stringify(outbox));
    } catch (err) {
      // Storage full or disabled: the outbox still lives as long as the page.
    }
  }

  /* 32 random hex digits; crypto.randomUUID() needs HTTPS, a classroom LAN
   * serves plain HTTP. */
  function newClientId() {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function pendingEl(clientId) {
    return messagesEl.querySelector(`.pending[data-client-id="${clientId}"]`);
  }

  function showPending(item) {
    if (pendingEl(item.clientId)) return;
    const self = lastUsers.find((user) => fold(user.username) === fold(me));
    const guest = self ? self.guest : false;
    const el = buildMessage({ username: me, text: item.text, createdAt: item.createdAt, guest, replyTo: item.replyTo });
    el.classList.add("mine", "pending");
    el.dataset.clientId = item.clientId;
    const state = document.createElement("span");
    state.className = "state";
    state.textContent = joined ? "Sending…" : "Waiting for the connection…";
    el.querySelector("header").append(" ", state);
    keepingBottom(() => {
      messagesEl.append(el);
      regroup(el);
    });
  }

  function setPendingState(item, text) {
    const el = pendingEl(item.clientId);
    if (el) el.querySelector(".state").textContent = text;
  }

  /* The message with this clientId is stored: out of the outbox and the list. */
  function sent(clientId) {
    const el = pendingEl(clientId);
    if (el) keepingBottom(() => el.remove());
    const before = outbox.length;
    outbox = outbox.filter((m) => m.clientId !== clientId);
    if (outbox.length !== before) saveOutbox();
  }

  // Refusals after which the same message may pass later: it stays queued.
  const RETRY_SEND = new Set(["not_joined", "shutting_down", "unavailable"]);
  const SEND_TIMEOUT_MS = 10000;

  /* Send the oldest queued message, then the next: one at a time, in order. */
  function flush() {
    if (sending || !joined || !outbox.length) return;
    const item = outbox[0];
    sending = true;
    setPendingState(item, "Sending…");
    const payload = { text: item.text, clientId: item.clientId };
    if (item.replyTo) payload.replyTo = item.replyTo.id;
    socket.timeout(SEND_TIMEOUT_MS).emit("sendMessage", payload, (timeout, error, data) => {
      if (!sending) return; // disconnected meanwhile: sent again after the re-join
      sending = false;
      const code = data && data.code;
      if (timeout || (error && RETRY_SEND.has(code))) {
        setPendingState(item, "Not sent yet; trying again…");
        setTimeout(flush, 2000); // same clientId: stored once however often it goes
      } else if (error && code === "rate_limited") {
        setPendingState(item, `Sending too fast; waiting ${data.retryAfter} s…`);
        setTimeout(flush, data.retryAfter * 1000);
      } else if (error) {
        // Refused for good (profanity, too long…): give the text back to edit.
        sent(item.clientId);
        showComposeError(error);
        if (!input.value) {
          input.value = item.text;
          fitInput();
        }
        flush();
      } else {
        const seen = hasMessage(data.id);
        sent(item.clientId);
        // A duplicate is not broadcast again: fetch it if we never saw it.
        if (!seen) catchUp();
        flush();
      }
    });
  }

  // --- user actions ---------------------------------------------------------

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim()) {
      showComposeError("Type a message first.");
      return;
    }
    const item = { clientId: newClientId(), text, createdAt: Date.now() };
    const replyTo = actions.replyingTo();
    if (replyTo) item.replyTo = replyTo;
    actions.cancelReply();
    outbox.push(item);
    saveOutbox();
    showComposeError("");
    input.value = "";
    fitInput();
    showPending(item);
    scrollToBottom();
    flush();
    input.focus();
  });

  input.addEventListener("input", () => {
    showComposeError("");
    fitInput();
  });

  // Enter sends (as in every chat app); Shift+Enter starts a new line;
  // Escape drops the reply being written.
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape") actions.cancelReply();
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  locationButton.addEventListener("click", () => {
    if (!("geolocation" in navigator)) {
      showComposeError("Your browser cannot share its location.");
      return;
    }
    locationButton.disabled = true;
    navigator.geolocation.getCurrentPosition(
      (position) => {
        const coords = { latitude: position.coords.latitude, longitude: position.coords.longitude };
        if (!joined) {
          // Sent now, it would reach the server before our re-join and be refused.
          locationButton.disabled = true;
          showComposeError("Not connected; share your location again once reconnected.");
          return;
        }
        socket.timeout(10000).emit("sendLocation", coords, (timeout, error) => {
          locationButton.disabled = !joined;
          showComposeError(timeout ? "No answer from the server." : error || "");
        });
      },
      (err) => {
        locationButton.disabled = !joined;
        const why = {
          1: "this site may not see your location (allow it in the browser's site settings)",
          2: "your device could not find where you are",
          3: "finding your location took too long",
        };
        showComposeError(`Could not share your location: ${why[err.code] || err.message}.`);
      },
      { timeout: 15000 }
    );
  });

  function loadOlder() {
    if (!hasMore || loadingOlder || !joined) return;
    loadingOlder = true;
    marker.textContent = "Loading older messages…";
    socket.timeout(10000).emit("loadHistory", { before: oldestId }, (timeout, error, data) => {
      loadingOlder = false;
      if (timeout || error) {
        marker.textContent = error || "Could not load older messages; click to retry.";
        return;
      }
      showHistory(data.messages, data.hasMore, true);
    });
  }

  messagesEl.addEventListener("scroll", () => {
    if (messagesEl.scrollTop <= 40) loadOlder();
  });
  marker.addEventListener("click", loadOlder);

  socket.connect();
})();
