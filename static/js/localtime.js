/* Shows every <time data-ms="..."> (ms since the epoch, rendered in UTC by
   the server) in the reader's own time zone and language. */
"use strict";
document.querySelectorAll("time[data-ms]").forEach((el) => {
  const when = new Date(Number(el.dataset.ms));
  if (Number.isNaN(when.getTime())) return;
  el.dateTime = when.toISOString();
  el.title = el.textContent;
  el.textContent = when.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
});
