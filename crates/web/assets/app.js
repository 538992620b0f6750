// Nobat pages work without this file; it only adds a live countdown to a held slot.
(function () {
  "use strict";
  var el = document.querySelector("[data-expires]");
  if (!el) return;
  var until = Date.parse(el.getAttribute("data-expires"));
  if (isNaN(until)) return;
  var lang = document.documentElement.lang || "en";
  var fmt;
  var tag = lang === "fa" ? "fa-IR-u-nu-arabext" : lang === "ar" ? "ar-u-nu-arab" : lang;
  try { fmt = new Intl.NumberFormat(tag, { minimumIntegerDigits: 2 }); } catch (e) { return; }
  var out = document.createElement("span");
  out.className = "meta";
  out.setAttribute("aria-hidden", "true");
  el.appendChild(document.createTextNode(" "));
  el.appendChild(out);
  function tick() {
    var left = Math.max(0, Math.round((until - Date.now()) / 1000));
    out.textContent = "(" + fmt.format(Math.floor(left / 60)) + ":" + fmt.format(left % 60) + ")";
    if (left > 0) setTimeout(tick, 1000);
  }
  tick();
})();

// The waiting-room board: a clock, the headings in each language in turn, and the board's
// event stream (EventSource reconnects by itself; every message is the whole board).
(function () {
  "use strict";
  var board = document.getElementById("board");
  if (!board) return;
  var labels = {};
  try { labels = JSON.parse(document.getElementById("board-labels").textContent); } catch (e) { /* headings stay */ }
  var langs = Object.keys(labels);
  var lang = document.documentElement.lang;
  // Digits as the server writes them (crates/i18n): Persian for fa, Arabic-Indic for ar.
  var tag = function (l) { return l === "fa" ? "fa-IR-u-nu-arabext" : l === "ar" ? "ar-u-nu-arab" : l; };
  var clock = document.getElementById("clock");
  function tick() {
    try {
      clock.textContent = new Intl.DateTimeFormat(tag(lang), { hour: "2-digit", minute: "2-digit", timeZone: board.getAttribute("data-zone") }).format(new Date());
    } catch (e) { /* the server's time stays */ }
  }
  function say(el) {
    var text = labels[lang] && labels[lang][el.getAttribute("data-l")];
    if (!text) return;
    var n = el.getAttribute("data-n");
    if (n !== null) text = text.replace("§", new Intl.NumberFormat(tag(lang)).format(Number(n)));
    el.textContent = text;
    el.setAttribute("lang", lang);
  }
  function sayAll() { Array.prototype.forEach.call(document.querySelectorAll("[data-l]"), say); }
  function el(name, cls, text, key) {
    var e = document.createElement(name);
    if (cls) e.className = cls;
    if (key) e.setAttribute("data-l", key);
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function render(data) {
    var box = document.getElementById("queues");
    while (box.firstChild) box.removeChild(box.firstChild);
    (data.queues || []).forEach(function (q) {
      var s = el("section", "bq");
      s.appendChild(el("h2", null, q.name));
      var called = el("div", "bq-called");
      called.appendChild(el("h3", null, "", "pages-board-called"));
      var ul = el("ul");
      q.called.forEach(function (c) {
        var li = el("li");
        li.appendChild(el("span", "code", c.code));
        if (c.desk) {
          li.appendChild(document.createTextNode(" "));
          li.appendChild(el("span", "go", "", "pages-board-go"));
          li.appendChild(document.createTextNode(" "));
          li.appendChild(el("span", "desk", c.desk));
        }
        ul.appendChild(li);
      });
      called.appendChild(ul);
      s.appendChild(called);
      var next = el("div", "bq-next");
      next.appendChild(el("h3", null, "", "pages-board-next"));
      var nl = el("ul");
      q.next.forEach(function (code) { nl.appendChild(el("li", null, code)); });
      next.appendChild(nl);
      s.appendChild(next);
      var w = el("p", "waiting", "", "pages-board-waiting");
      w.setAttribute("data-n", String(q.waiting));
      s.appendChild(w);
      box.appendChild(s);
    });
    sayAll();
  }
  tick();
  setInterval(tick, 1000);
  setInterval(function () {
    if (!langs.length) return;
    lang = langs[(langs.indexOf(lang) + 1) % langs.length];
    sayAll();
    tick();
  }, 8000);
  if (window.EventSource) {
    var source = new EventSource(board.getAttribute("data-stream"));
    source.addEventListener("board", function (ev) {
      try { render(JSON.parse(ev.data)); } catch (e) { /* keep the last board */ }
    });
  }
})();

// The reception desk and "my place": follow an event stream and redraw the live part of the
// page from the page itself (fetched again), so the markup stays the server's. Without this
// script the desk's forms still work and "my place" reloads itself (<noscript> refresh).
(function () {
  "use strict";
  var live = document.getElementById("live") || document.getElementById("place");
  if (!live || !live.getAttribute("data-stream") || !window.EventSource || !window.fetch) return;
  var pending = null;
  function busy() {
    // Someone typing a reason in the live part: wait, do not wipe it.
    var a = document.activeElement;
    return a && live.contains(a) && (a.tagName === "INPUT" || a.tagName === "TEXTAREA") && a.value !== "";
  }
  function redraw() {
    pending = null;
    if (busy()) { pending = setTimeout(redraw, 2000); return; }
    fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById(live.id);
        if (!fresh) return;
        live.className = fresh.className;
        live.innerHTML = fresh.innerHTML;
        live.setAttribute("data-updated", String(Date.now()));
      })
      .catch(function () { /* the next message tries again */ });
  }
  var first = true;
  var source = new EventSource(live.getAttribute("data-stream"));
  function changed() {
    // A state stream's first message is the state the page already shows.
    if (first) { first = false; return; }
    if (pending) clearTimeout(pending);
    pending = setTimeout(redraw, 150);
  }
  // The desk follows its location's board stream, "my place" its ticket's: both send the whole
  // state on connecting and after every change.
  ["message", "ticket", "board"].forEach(function (name) { source.addEventListener(name, changed); });
  source.addEventListener("open", function () { live.setAttribute("data-live", "1"); });
  // Leaving the page closes the stream at once: a browser allows a handful of connections per
  // site, and a desk that posts a form every minute must not use them up.
  window.addEventListener("pagehide", function () { source.close(); });
  // What no queue event announces (a booking for today) shows within a minute.
  setInterval(function () { if (!pending) redraw(); }, 60000);
})();
