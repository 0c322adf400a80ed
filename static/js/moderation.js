/* Erased messages: a message deleted (by its author, or by a moderator)
 * shows "Message deleted" in its place. The delete button itself is in
 * the action bar (actions.js): on one's own messages, and on everyone's
 * while our role allows delete_message (the list then has .can-delete). */
(function () {
  "use strict";

  const Baithak = (window.Baithak = window.Baithak || {});
  const DELETED_TEXT = "Message deleted";

  /* messagesEl: the message list; onDeleted(item): take a message's
   * actions away once it is erased. */
  Baithak.createMessageTools = function ({ messagesEl, onDeleted }) {
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
      onDeleted(item);
    }

    function setAllowed(allowed) {
      messagesEl.classList.toggle("can-delete", Boolean(allowed));
    }

    return { showAsDeleted, markDeleted, setAllowed };
  };
})();
