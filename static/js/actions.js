/* What a person does with a message: a bar of actions on hover or focus
 * (Reply, React; Edit and Delete on one's own; Delete on anyone's for
 * moderators, while the list has .can-delete), editing in place (Enter
 * saves, Escape cancels), the quote above a reply (click: go to the
 * original), the "(edited)" mark, and the reply preview above the message
 * box. Everything people typed is set as text, never as HTML. */
(function () {
  "use strict";

  const Baithak = (window.Baithak = window.Baithak || {});
  const ACK_TIMEOUT_MS = 10000;

  /* messagesEl; socket; showError(text); reactions (reactions.js);
   * preview: the reply preview's elements {box, name, text, cancel};
   * input: the message box; jumpTo(id): show a message if it is loaded. */
  Baithak.createMessageActions = function ({ messagesEl, socket, showError, reactions, preview, input, jumpTo }) {
    let replying = null; // {id, username, kind, text} of the message we answer

    function iconButton(icon, label, className, onClick) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = className;
      b.title = label;
      b.setAttribute("aria-label", label);
      b.append(Baithak.icon(icon));
      b.addEventListener("click", onClick);
      return b;
    }

    function ask(event, payload, done) {
      socket.timeout(ACK_TIMEOUT_MS).emit(event, payload, (timeout, error, data) => {
        if (timeout || error) showError(timeout ? "No answer from the server; try again." : error);
        if (done) done(!(timeout || error), data);
      });
    }

    /* The quote of what a reply answers, as a button that goes there. */
    function quote(replyTo) {
      const q = document.createElement("button");
      q.type = "button";
      q.className = "reply-quote";
      q.dataset.replyTo = String(replyTo.id);
      q.title = "Show the message this replies to";
      Baithak.appendName(q, replyTo.username, false, "quoted-author");
      const text = document.createElement("span");
      text.className = "quoted-text";
      text.dir = "auto";
      if (replyTo.deleted) {
        q.classList.add("deleted");
        text.textContent = "Message deleted";
      } else {
        text.textContent = replyTo.kind === "location" ? "Location" : replyTo.text;
      }
      q.append(text);
      q.addEventListener("click", () => jumpTo(replyTo.id));
      return q;
    }

    function excerptOf(msg) {
      const text = msg.url !== undefined ? "Location" : (msg.text || "").split(/\s+/).join(" ").trim();
      return text.length > 100 ? `${text.slice(0, 99)}…` : text;
    }

    function startReply(msg) {
      replying = { id: msg.id, username: msg.username, kind: msg.kind, text: excerptOf(msg) };
      preview.name.textContent = msg.username;
      preview.text.textContent = replying.text;
      preview.box.hidden = false;
      input.focus();
    }

    function cancelReply() {
      replying = null;
      preview.box.hidden = true;
    }

    /* Edit in place: a text box instead of the body until saved or cancelled. */
    function startEdit(item, msg) {
      if (item.querySelector(".edit-box")) return;
      const body = item.querySelector(".body");
      const box = document.createElement("textarea");
      box.className = "edit-box";
      box.value = msg.text;
      box.rows = Math.min(8, msg.text.split("\n").length);
      box.setAttribute("aria-label", "Edit message (Enter saves, Escape cancels)");
      const hint = document.createElement("p");
      hint.className = "edit-hint";
      hint.textContent = "Enter saves · Escape cancels";
      body.hidden = true;
      body.after(box, hint);
      box.focus();
      box.setSelectionRange(box.value.length, box.value.length);
      const close = () => {
        box.remove();
        hint.remove();
        body.hidden = false;
      };
      box.addEventListener("keydown", (event) => {
        if (event.key === "Escape") {
          event.preventDefault();
          close();
          item.querySelector(".act-edit")?.focus();
        } else if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          if (!box.value.trim()) {
            showError("Type a message first.");
            return;
          }
          box.disabled = true;
          ask("editMessage", { id: msg.id, text: box.value }, (ok) => {
            box.disabled = false;
            if (ok) close(); // the room's messageEdited redraws the message
            else box.focus();
          });
        }
      });
    }

    function deleteButton(id) {
      const b = iconButton("trash", "Delete message", "delete-message", () => {
        b.disabled = true;
        ask("deleteMessage", { id }, () => (b.disabled = false));
      });
      return b;
    }

    function actionBar(item, msg) {
      const bar = document.createElement("div");
      bar.className = "message-actions";
      bar.setAttribute("role", "toolbar");
      bar.setAttribute("aria-label", "Message actions");
      const mine = item.classList.contains("mine");
      const react = iconButton("smile", "React", "act-react", () => {
        const open = bar.querySelector(".reaction-picker");
        if (open) {
          open.remove();
          react.setAttribute("aria-expanded", "false");
          return;
        }
        const pick = reactions.picker(msg.id, () => {
          pick.remove();
          react.setAttribute("aria-expanded", "false");
        });
        pick.addEventListener("keydown", (event) => {
          if (event.key !== "Escape") return;
          pick.remove();
          react.setAttribute("aria-expanded", "false");
          react.focus();
        });
        bar.append(pick);
        react.setAttribute("aria-expanded", "true");
        pick.querySelector("button").focus();
      });
      react.setAttribute("aria-expanded", "false");
      bar.append(iconButton("reply", "Reply", "act-reply", () => startReply(item.baithakMsg || msg)), react);
      if (mine && msg.url === undefined) {
        bar.append(iconButton("pencil", "Edit message", "act-edit", () => startEdit(item, item.baithakMsg || msg)));
      }
      const del = deleteButton(msg.id);
      if (!mine) del.classList.add("moderator-only"); // shown while .can-delete
      bar.append(del);
      return bar;
    }

    /* Add our parts around a built message: the quote above the body, the
     * "(edited)" mark, the reactions row and the action bar. */
    function decorate(item, msg, body) {
      if (msg.replyTo) body.before(quote(msg.replyTo));
      if (msg.deleted || msg.system) return;
      if (msg.editedAt) {
        const mark = document.createElement("span");
        mark.className = "edited";
        mark.textContent = "(edited)";
        mark.title = `Edited ${new Date(msg.editedAt).toLocaleString()}`;
        item.querySelector("header").append(" ", mark);
      }
      if (msg.id === undefined) return; // not stored yet (still sending)
      item.append(reactions.row(msg.id, msg.reactions), actionBar(item, msg));
    }

    /* A message erased (by its author or a moderator): no actions, no chips. */
    function undecorate(item) {
      for (const el of item.querySelectorAll(".message-actions, .reactions, .edit-box, .edit-hint, .edited")) {
        if (el.contains(document.activeElement)) messagesEl.focus({ preventScroll: true });
        el.remove();
      }
      item.querySelector(".body").hidden = false;
      if (replying && String(replying.id) === item.dataset.id) cancelReply();
    }

    /* The original of some replies was erased: their quotes say so. */
    function originalDeleted(id) {
      for (const q of messagesEl.querySelectorAll(`.reply-quote[data-reply-to="${Number(id)}"]`)) {
        q.classList.add("deleted");
        q.querySelector(".quoted-text").textContent = "Message deleted";
      }
    }

    preview.cancel.addEventListener("click", () => {
      cancelReply();
      input.focus();
    });

    return { decorate, undecorate, originalDeleted, replyingTo: () => replying, cancelReply };
  };
})();
