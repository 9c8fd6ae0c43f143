/**
 * The browser side of the live events page, served as /dashboard/assets/dashboard.js: plain
 * JavaScript (no build step, no framework), kept here as text so the compiled app carries it.
 * It opens the EventSource with the page's filters, prepends each event (text only: never
 * innerHTML), holds events while paused, and says in a status region what the stream is doing.
 */
export const CLIENT_JS = String.raw`(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root || typeof EventSource === "undefined") return;
  var list = document.getElementById("live-list");
  var status = document.getElementById("live-status");
  var pause = document.getElementById("live-pause");
  var form = document.getElementById("live-filters");
  var MAX_ITEMS = 200, MAX_HELD = 500;
  var paused = false, held = [], source = null;

  function say(text) { status.textContent = text; }
  function query() {
    var p = new URLSearchParams();
    if (form) new FormData(form).forEach(function (v, k) { if (v && k !== "before") p.append(k, String(v)); });
    return p.toString();
  }
  function render(env) {
    var li = document.createElement("li");
    li.className = "event";
    var time = document.createElement("time");
    time.dateTime = env.timestamp;
    time.textContent = new Date(env.timestamp).toLocaleTimeString();
    var type = document.createElement("span");
    type.className = "type";
    type.textContent = env.event_type;
    var where = document.createElement("span");
    where.className = "repo";
    var d = env.data || {};
    where.textContent = (d.repo || "") + (d.pr_number ? " #" + d.pr_number : "");
    var details = document.createElement("details");
    var summary = document.createElement("summary");
    summary.textContent = "Data";
    var pre = document.createElement("pre");
    pre.textContent = JSON.stringify(d, null, 2);
    details.appendChild(summary);
    details.appendChild(pre);
    li.appendChild(time);
    li.appendChild(type);
    li.appendChild(where);
    li.appendChild(details);
    list.insertBefore(li, list.firstChild);
    while (list.children.length > MAX_ITEMS) list.removeChild(list.lastChild);
    var empty = document.getElementById("live-empty");
    if (empty) empty.hidden = true;
  }
  function connect() {
    var q = query();
    source = new EventSource(root.getAttribute("data-stream") + (q ? "?" + q : ""));
    source.onopen = function () { say(paused ? "Paused" : "Live: connected"); };
    source.onmessage = function (m) {
      var env;
      try { env = JSON.parse(m.data); } catch (e) { return; }
      if (paused) {
        held.push(env);
        if (held.length > MAX_HELD) held.shift();
        say("Paused: " + held.length + " new event(s) held");
        return;
      }
      render(env);
    };
    source.addEventListener("reset", function () {
      say("Reconnected: some events may be missing; reload the page for the full history.");
    });
    source.onerror = function () {
      say(source.readyState === EventSource.CLOSED ? "Disconnected: reload the page (you may need to sign in again)." : "Reconnecting…");
    };
  }
  pause.hidden = false;
  pause.addEventListener("click", function () {
    paused = !paused;
    pause.setAttribute("aria-pressed", String(paused));
    pause.textContent = paused ? "Resume" : "Pause";
    if (paused) { say("Paused"); return; }
    held.forEach(render);
    held = [];
    say("Live: connected");
  });
  connect();
})();
`;
