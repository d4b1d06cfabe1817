// Small behaviours every page shares; loaded as a file (the pages' CSP runs no inline script).
"use strict";

// An htmx action the server refused (400/403/409): show its reason in the page's #flash box.
document.addEventListener("htmx:responseError", function (event) {
  var target = document.getElementById("flash");
  if (!target) return;
  var text = event.detail.xhr.responseText || "";
  try { text = JSON.parse(text).error || text; } catch (e) { /* HTML or plain text */ }
  var box = document.createElement("div");
  box.innerHTML = text;  // parsed detached, never inserted: only its text is shown
  target.textContent = (box.textContent || "").replace(/\s+/g, " ").trim().slice(0, 300);
  target.hidden = false;
});
