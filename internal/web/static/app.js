// Watchfloor live updates: the server pushes "update" events over
// Server-Sent Events after data changes; headline numbers marked
// data-live are set as text, then the page's main content is re-fetched
// and swapped in. No HTML from event data is ever inserted.
(function () {
  "use strict";
  var body = document.body;
  var url = body.getAttribute("data-events");
  var status = document.getElementById("live-status");
  if (!url || !window.EventSource) {
    return;
  }
  function setStatus(text) {
    if (status) { status.textContent = text; }
  }
  function apply(sum) {
    Object.keys(sum).forEach(function (key) {
      var els = document.querySelectorAll('[data-live="' + key + '"]');
      for (var i = 0; i < els.length; i++) {
        var text = String(sum[key]);
        if (key === "now") { text = new Date(sum[key]).toISOString().slice(0, 16).replace("T", " ") + " UTC"; }
        if (els[i].textContent !== text) {
          els[i].textContent = text;
          els[i].classList.remove("live-flash");
          void els[i].offsetWidth;
          els[i].classList.add("live-flash");
        }
      }
    });
    body.setAttribute("data-version", sum.version || "");
  }
  var refreshing = false;
  function refreshMain() {
    if (refreshing) { return; }
    refreshing = true;
    fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("main");
        var main = document.getElementById("main");
        if (fresh && main) {
          main.replaceChildren.apply(main, Array.prototype.map.call(fresh.childNodes, function (n) { return document.importNode(n, true); }));
        }
        body.setAttribute("data-refreshed", String(Date.now()));
      })
      .catch(function () { setStatus("refresh failed; retrying on the next update"); })
      .then(function () { refreshing = false; });
  }
  var es = new EventSource(url);
  es.addEventListener("open", function () { setStatus("live"); });
  es.addEventListener("error", function () { setStatus("reconnecting…"); });
  es.addEventListener("hello", function (e) { apply(JSON.parse(e.data)); setStatus("live"); });
  es.addEventListener("update", function (e) {
    apply(JSON.parse(e.data));
    refreshMain();
    body.setAttribute("data-updates", String(Number(body.getAttribute("data-updates") || "0") + 1));
  });
})();
