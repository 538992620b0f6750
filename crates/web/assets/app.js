// Nobat pages work without this file; it only adds a live countdown to a held slot.
(function () {
  "use strict";
  var el = document.querySelector("[data-expires]");
  if (!el) return;
  var until = Date.parse(el.getAttribute("data-expires"));
  if (isNaN(until)) return;
  var lang = document.documentElement.lang || "en";
  var fmt;
  try { fmt = new Intl.NumberFormat(lang === "fa" ? "fa-IR" : lang, { minimumIntegerDigits: 2 }); } catch (e) { return; }
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
