/* A moderator's tools on the messages: a delete button on each stored
 * message (shown only while our role allows delete_message), and showing a
 * message erased by a moderator as "Message deleted" in its place. */
(function () {
  "use strict";

  const Baithak = (window.Baithak = window.Baithak || {});
  const DELETED_TEXT = "Message deleted";

  /* messagesEl: the message list; socket; showError(text) for a refusal. */
  Baithak.createMessageTools = function ({ messagesEl, socket, showError }) {
    /* Every stored message has one; CSS shows it only while the list has
     * .can-delete, on hover or focus. */
    function deleteButton(id) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "delete-message";
      button.title = "Delete message";
      button.setAttribute("aria-label", "Delete message");
      button.append(Baithak.icon("trash"));
      button.addEventListener("click", () => {
        button.disabled = true;
        socket.timeout(10000).emit("deleteMessage", { id }, (timeout, error) => {
          button.disabled = false;
          if (timeout || error) showError(timeout ? "No answer from the server; try again." : error);
        });
      });
      return button;
    }

    /* Fill a message's body as deleted (a history message with deleted: true). */
    function showAsDeleted(item, body) {
      item.classList.add("deleted");
      body.replaceChildren(DELETED_TEXT);
    }

    /* A message erased live (messageDeleted) keeps its place, as deleted. */
    function markDeleted(id) {
      const item = messagesEl.querySelector(`[data-id="${Number(id)}"]`);
      if (!item || item.classList.contains("deleted")) return;
      showAsDeleted(item, item.querySelector(".body"));
      const button = item.querySelector(".delete-message");
      if (button) {
        if (document.activeElement === button) messagesEl.focus({ preventScroll: true });
        button.remove();
      }
    }

    function setAllowed(allowed) {
      messagesEl.classList.toggle("can-delete", Boolean(allowed));
    }

    return { deleteButton, showAsDeleted, markDeleted, setAllowed };
  };
})();
