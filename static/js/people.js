/* The people list: each person's status dot (online or away), name (an
 * account's links to its profile), guest tag, role badge (owner,
 * moderator) and custom status, a "Message" action for other accounts (openDirect), and for
 * moderators a per-person menu of the actions their role allows on people
 * ranked below them (kick, mute, ban, roles; docs/permissions.md). The
 * server checks every action again; this only offers what would pass. */
(function () {
  "use strict";

  const Baithak = (window.Baithak = window.Baithak || {});
  // Higher acts on lower; guests rank with members (services/access.py).
  const RANK = { owner: 2, moderator: 1, member: 0 };
  const rank = (role) => RANK[role] || 0;
  const ACK_TIMEOUT_MS = 10000;
  const STATUS_LABELS = { online: "Online", away: "Away" };
  const chatEl = document.getElementById("chat");
  const profileBase = chatEl ? chatEl.dataset.profileUrl : "";

  /* A dot for online (green) or away (amber), said in words to screen readers. */
  function statusDot(status) {
    const known = STATUS_LABELS[status] ? status : "online";
    const dot = document.createElement("span");
    dot.className = `status-dot status-${known}`;
    dot.title = STATUS_LABELS[known];
    // A label, not text: the row's text stays the name (and tests read it).
    dot.setAttribute("role", "img");
    dot.setAttribute("aria-label", STATUS_LABELS[known]);
    return dot;
  }

  /* An account's emoji and status text, as text, under its name. */
  function customStatus(user) {
    const text = typeof user.statusText === "string" ? user.statusText : "";
    const emoji = typeof user.statusEmoji === "string" ? user.statusEmoji : "";
    if (!text && !emoji) return null;
    const line = document.createElement("div");
    line.className = "person-status";
    if (emoji) {
      const e = document.createElement("span");
      e.className = "status-emoji";
      e.textContent = emoji;
      line.append(e);
    }
    if (text) {
      const t = document.createElement("bdi");
      t.textContent = text;
      line.append(emoji ? " " : "", t);
    }
    return line;
  }

  /* The actions `state` (our role and `can`) allows on `user`, in menu order. */
  function actionsFor(user, state) {
    if (!state.account || state.kind === "direct") return [];
    if (rank(state.role) <= rank(user.role)) return [];
    const can = new Set(state.can || []);
    const username = user.username;
    const list = [];
    if (can.has("kick")) list.push({ id: "kick", label: "Kick", event: "kick", payload: { username } });
    if (can.has("mute")) {
      list.push({ id: "mute10", label: "Mute 10 min", event: "mute", payload: { username, minutes: 10 } });
      list.push({ id: "mute60", label: "Mute 1 hour", event: "mute", payload: { username, minutes: 60 } });
    }
    if (can.has("ban")) {
      list.push({
        id: "ban", label: "Ban…", event: "ban", payload: { username }, danger: true,
        confirm: `Ban ${username}? They are taken out and cannot come back until unbanned.`,
        confirmLabel: "Ban",
      });
    }
    if (!user.guest && user.role === "member" && can.has("promote")) {
      list.push({ id: "promote", label: "Make moderator", event: "setRole", payload: { username, role: "moderator" } });
    }
    if (user.role === "moderator" && can.has("demote")) {
      list.push({ id: "demote", label: "Make member", event: "setRole", payload: { username, role: "member" } });
    }
    return list;
  }

  /* listEl/countEl: the <ul> and its count; socket; showError(text);
   * openRoom(id): go to a room's chat page. */
  Baithak.createPeople = function ({ listEl, countEl, socket, showError, openRoom }) {
    let users = [];
    let state = {};
    let openKey = null; // the person whose menu is open (folded name)
    let confirming = null; // the action waiting for "Ban" to be confirmed
    let busy = false; // an action is waiting for its ack

    function button(text, className, onClick) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = className;
      if (text) b.textContent = text;
      b.addEventListener("click", onClick);
      return b;
    }

    function act(action) {
      if (busy) return;
      busy = true;
      showError("");
      socket.timeout(ACK_TIMEOUT_MS).emit(action.event, action.payload, (timeout, error) => {
        busy = false;
        confirming = null;
        if (timeout || error) {
          showError(timeout ? "No answer from the server; try again." : error);
        } else {
          openKey = null; // done: what changed shows in the list and the chat
        }
        draw();
      });
      draw();
    }

    function message(user) {
      showError("");
      socket.timeout(ACK_TIMEOUT_MS).emit("openDirect", { username: user.username }, (timeout, error, data) => {
        if (timeout || error) showError(timeout ? "No answer from the server; try again." : error);
        else openRoom(data.roomId);
      });
    }

    function menu(user, key, actions, menuId) {
      const box = document.createElement("div");
      box.className = "person-actions";
      box.id = menuId;
      box.setAttribute("role", "group");
      box.setAttribute("aria-label", `Moderate ${user.username}`);
      const pending = confirming && confirming.key === key ? confirming.action : null;
      if (pending) {
        const question = document.createElement("p");
        question.className = "confirm";
        question.textContent = pending.confirm;
        const yes = button(pending.confirmLabel, "danger", () => act(pending));
        yes.dataset.control = "confirm";
        const no = button("Cancel", "secondary", () => {
          confirming = null;
          draw();
          focus(key, pending.id);
        });
        no.dataset.control = "cancel";
        yes.disabled = no.disabled = busy;
        box.append(question, yes, no);
        return box;
      }
      for (const action of actions) {
        const b = button(action.label, action.danger ? "danger" : "", () => {
          if (action.confirm) {
            confirming = { key, action };
            draw();
            focus(key, "confirm");
          } else {
            act(action);
          }
        });
        b.dataset.control = action.id;
        b.disabled = busy;
        box.append(b);
      }
      return box;
    }

    function row(user, index) {
      const key = Baithak.fold(user.username);
      const isMe = state.me && key === Baithak.fold(state.me);
      const li = document.createElement("li");
      li.className = "person";
      li.dataset.key = key;
      li.dataset.status = STATUS_LABELS[user.status] ? user.status : "online";
      if (isMe) li.classList.add("me");
      const line = document.createElement("div");
      line.className = "person-row";
      const name = document.createElement("span");
      name.className = "person-name";
      if (!user.guest && profileBase) {
        const link = document.createElement("a");
        link.className = "profile-link";
        link.href = profileBase + encodeURIComponent(user.username);
        link.title = `${user.username}'s profile`;
        Baithak.appendName(link, user.username, false);
        name.append(link);
      } else {
        Baithak.appendName(name, user.username, user.guest);
      }
      if (user.role === "owner" || user.role === "moderator") {
        const badge = document.createElement("span");
        badge.className = `badge badge-${user.role}`;
        badge.textContent = user.role;
        name.append(" ", badge);
      }
      line.append(statusDot(user.status), name);
      if (!isMe && !user.guest && state.account && state.kind !== "direct") {
        const dm = button("", "icon-button dm", () => message(user));
        dm.dataset.control = "dm";
        dm.title = `Message ${user.username}`;
        dm.setAttribute("aria-label", dm.title);
        dm.append(Baithak.icon("chat"));
        line.append(dm);
      }
      li.append(line);
      const custom = user.guest ? null : customStatus(user);
      if (custom) li.append(custom);
      const actions = isMe ? [] : actionsFor(user, state);
      if (actions.length) {
        const menuId = `person-menu-${index}`;
        const open = openKey === key;
        const toggle = button("", "icon-button menu-toggle", () => {
          openKey = open ? null : key;
          confirming = null;
          draw();
          focus(key, openKey ? actions[0].id : "toggle");
        });
        toggle.dataset.control = "toggle";
        toggle.title = `Moderate ${user.username}`;
        toggle.setAttribute("aria-label", toggle.title);
        toggle.setAttribute("aria-expanded", String(open));
        toggle.setAttribute("aria-controls", menuId);
        toggle.append(Baithak.icon("more"));
        line.append(toggle);
        if (open) li.append(menu(user, key, actions, menuId));
      }
      return li;
    }

    function focus(key, control) {
      const li = [...listEl.children].find((el) => el.dataset.key === key);
      const target = li && li.querySelector(`[data-control="${control}"]`);
      if (target) target.focus();
    }

    /* Draw the list again, keeping the focused control focused. */
    function draw() {
      const active = document.activeElement;
      const had = active && listEl.contains(active) && active.dataset.control
        ? { key: active.closest("li").dataset.key, control: active.dataset.control }
        : null;
      if (openKey && !users.some((u) => Baithak.fold(u.username) === openKey)) openKey = null;
      listEl.replaceChildren(...users.map(row));
      countEl.textContent = `(${users.length})`;
      if (had) focus(had.key, had.control);
    }

    /* New people (roomData) or a new role for us (join ack, membership). */
    function render(newUsers, newState) {
      users = newUsers;
      state = newState;
      draw();
    }

    // Escape closes the open menu and gives the focus back to its button.
    listEl.addEventListener("keydown", (event) => {
      if (event.key !== "Escape" || !openKey) return;
      const key = openKey;
      openKey = confirming = null;
      draw();
      focus(key, "toggle");
    });
    // A click anywhere else closes it too.
    document.addEventListener("click", (event) => {
      if (!openKey) return;
      // (The target may be a button the click's own handler just redrew.)
      const li = event.target.closest && event.target.closest("li.person");
      if (li && li.dataset.key === openKey) return;
      openKey = confirming = null;
      draw();
    });

    return { render, users: () => users };
  };
})();
