/* The sidebar's "Your rooms": an account's rooms and direct conversations
 * (the `myRooms` ack and pushes, docs/protocol.md), each a link to its chat
 * page, the open one marked. Guests have none, so the section stays hidden. */
(function () {
  "use strict";

  const Baithak = (window.Baithak = window.Baithak || {});

  /* The section's elements; render(rooms, currentId) draws the list again. */
  Baithak.createMyRooms = function (section, chatUrl) {
    const roomsList = section.querySelector("#my-rooms-list");
    const directList = section.querySelector("#my-direct-list");
    const roomsHeading = section.querySelector("#my-rooms-heading");
    const directHeading = section.querySelector("#my-direct-heading");
    let last = [];

    function item(room, currentId, online) {
      const li = document.createElement("li");
      const link = document.createElement("a");
      const url = new URL(chatUrl, window.location.href);
      url.searchParams.set("id", String(room.id));
      link.href = url.pathname + url.search;
      if (room.id === currentId) link.setAttribute("aria-current", "page");
      if (room.kind === "private") {
        link.append(Baithak.icon("lock"), Baithak.srText("Private: "));
      }
      const title = document.createElement("bdi");
      title.className = "title";
      title.textContent = room.title;
      link.append(title);
      if (online > 0) {
        // Nobody there: no number, so the rooms with people stand out.
        const count = document.createElement("span");
        count.className = "online";
        count.title = `${online} online`;
        count.append(String(online), Baithak.srText(" online"));
        link.append(" ", count);
      }
      li.append(link);
      return li;
    }

    /* `online` overrides the counts for the open room (its roomData is live;
     * the list's counts are as of the last push or refresh). */
    function render(rooms, currentId, currentOnline) {
      last = rooms;
      const count = (room) =>
        room.id === currentId && currentOnline != null ? currentOnline : room.online;
      const groups = rooms.filter((r) => r.kind !== "direct");
      const direct = rooms.filter((r) => r.kind === "direct");
      roomsList.replaceChildren(...groups.map((r) => item(r, currentId, count(r))));
      directList.replaceChildren(...direct.map((r) => item(r, currentId, count(r))));
      roomsHeading.hidden = roomsList.hidden = !groups.length;
      directHeading.hidden = directList.hidden = !direct.length;
      section.hidden = !rooms.length;
    }

    return { render, rooms: () => last };
  };
})();
