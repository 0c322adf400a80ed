/* The sidebar's "Your rooms": an account's rooms and direct conversations
 * (the `myRooms` ack and pushes, docs/protocol.md), each a link to its chat
 * page, the open one marked, with its count of unread messages (kept live
 * by `unread` pushes). Guests have none, so the section stays hidden. */
(function () {
  "use strict";

  const Baithak = (window.Baithak = window.Baithak || {});
  // Pushes come when the list changes, not when people come and go: the
  // other rooms' online counts are asked for again this often.
  const REFRESH_MS = 30000;

  /* section: the <nav>; chatUrl: the chat page's path; socket; current():
   * {id, online} of the open room (its count is live, from roomData). */
  Baithak.createMyRooms = function ({ section, chatUrl, socket, current }) {
    const roomsList = section.querySelector("#my-rooms-list");
    const directList = section.querySelector("#my-direct-list");
    const roomsHeading = section.querySelector("#my-rooms-heading");
    const directHeading = section.querySelector("#my-direct-heading");
    let rooms = [];
    let timer = null;
    let started = false;

    function item(room, here) {
      const li = document.createElement("li");
      const link = document.createElement("a");
      const url = new URL(chatUrl, window.location.href);
      url.searchParams.set("id", String(room.id));
      link.href = url.pathname + url.search;
      if (room.id === here.id) link.setAttribute("aria-current", "page");
      if (room.kind === "private") {
        link.append(Baithak.icon("lock"), Baithak.srText("Private: "));
      }
      const title = document.createElement("bdi");
      title.className = "title";
      title.textContent = room.title;
      link.append(title);
      const online = room.id === here.id && here.online != null ? here.online : room.online;
      if (online > 0) {
        // Nobody there: no number, so the rooms with people stand out.
        const count = document.createElement("span");
        count.className = "online";
        count.title = `${online} online`;
        count.append(String(online), Baithak.srText(" online"));
        link.append(" ", count);
      }
      // Messages not read yet (not for the open room: we are reading it).
      const unread = room.id === here.id ? 0 : room.unread;
      if (Number.isInteger(unread) && unread > 0) {
        const badge = document.createElement("span");
        badge.className = "unread";
        badge.title = `${unread} unread`;
        badge.append(unread > 99 ? "99+" : String(unread), Baithak.srText(" unread"));
        link.append(" ", badge);
      }
      li.append(link);
      return li;
    }

    /* Draw the list again (the open room or its count changed). */
    function redraw() {
      const here = current();
      const groups = rooms.filter((r) => r.kind !== "direct");
      const direct = rooms.filter((r) => r.kind === "direct");
      roomsList.replaceChildren(...groups.map((r) => item(r, here)));
      directList.replaceChildren(...direct.map((r) => item(r, here)));
      roomsHeading.hidden = roomsList.hidden = !groups.length;
      directHeading.hidden = directList.hidden = !direct.length;
      section.hidden = !rooms.length;
    }

    /* A new list, from a push or an ack. */
    function show(list) {
      if (!Array.isArray(list)) return;
      rooms = list;
      redraw();
    }

    /* Ask now, and again every REFRESH_MS while the tab is seen. */
    function refresh() {
      started = true;
      clearTimeout(timer);
      timer = setTimeout(refresh, REFRESH_MS);
      if (!socket.connected || document.hidden) return;
      socket.timeout(10000).emit("myRooms", (timeout, error, data) => {
        if (!timeout && !error && data) show(data.rooms);
      });
    }

    document.addEventListener("visibilitychange", () => {
      if (started && !document.hidden) refresh();
    });
    socket.on("myRooms", (data) => data && show(data.rooms));
    // A room's unread count changed (a message there, or read in another tab).
    socket.on("unread", (data) => {
      const room = data && rooms.find((r) => r.id === data.roomId);
      if (!room || !Number.isInteger(data.unread)) return;
      room.unread = data.unread;
      redraw();
    });

    return { refresh, redraw };
  };
})();
