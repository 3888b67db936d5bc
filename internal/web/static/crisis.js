// War room: counts every <time data-due> down (or up, once overdue) each
// second on the server's clock (the page's data-server-now, advanced by the
// time since it loaded, so a wall screen with a wrong clock still counts
// right), and re-fetches the page's main content every 30 seconds so the
// wall screen follows incident changes made anywhere. Only text is set;
// no HTML from the server's data is inserted except the page itself.
(function () {
  "use strict";
  var offset = 0;
  function sync() {
    var el = document.querySelector("[data-server-now]");
    var server = el ? Date.parse(el.getAttribute("data-server-now")) : NaN;
    offset = isNaN(server) ? 0 : server - Date.now();
  }
  function fmt(ms) {
    var s = Math.floor(Math.abs(ms) / 1000), d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    if (d > 0) { return d + "d " + h + "h"; }
    if (h > 0) { return h + "h " + (m < 10 ? "0" : "") + m + "m"; }
    return m + "m " + (s % 60 < 10 ? "0" : "") + (s % 60) + "s";
  }
  function tick() {
    var els = document.querySelectorAll("time[data-due]"), now = Date.now() + offset;
    for (var i = 0; i < els.length; i++) {
      var due = Date.parse(els[i].getAttribute("data-due"));
      if (isNaN(due)) { continue; }
      var left = due - now;
      if (!els[i].hasAttribute("data-countdown")) { els[i].title = left < 0 ? "overdue by " + fmt(left) : fmt(left) + " left"; continue; }
      els[i].textContent = left < 0 ? "overdue " + fmt(left) : fmt(left) + " left";
      els[i].classList.toggle("bad", left < 0);
    }
  }
  function refresh() {
    fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("main");
        var main = document.getElementById("main");
        var active = document.activeElement;
        if (fresh && main && !(active && main.contains(active) && (active.tagName === "INPUT" || active.tagName === "SELECT"))) {
          main.replaceChildren.apply(main, Array.prototype.map.call(fresh.childNodes, function (n) { return document.importNode(n, true); }));
          sync();
          tick();
        }
      })
      .catch(function () {});
  }
  sync();
  tick();
  setInterval(tick, 1000);
  setInterval(refresh, 30000);
})();
