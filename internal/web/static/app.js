// Watchfloor live updates: the server pushes "update" events over
// Server-Sent Events after data changes; headline numbers marked
// data-live are set as text, then the page's main content is re-fetched
// and swapped in. No HTML from event data is ever inserted.
//
// On the wall screen (body.kiosk) every panel marked data-fit must fit its
// grid cell: rows that do not fit are hidden from the end and the panel's
// "+N more" line counts them with those the server already left out.
(function () {
  "use strict";
  var body = document.body;

  function fitPanels() {
    if (!body.classList.contains("kiosk")) { return; }
    var panels = document.querySelectorAll("main [data-fit]");
    for (var p = 0; p < panels.length; p++) {
      var panel = panels[p];
      var rows = panel.querySelectorAll("table.fit tbody tr, ul.fit > li");
      var more = panel.querySelector(".more");
      var base = more ? Number(more.getAttribute("data-more") || "0") : 0;
      var hidden = 0;
      // Start from what the server sent: every row shown, its own count.
      for (var r = 0; r < rows.length; r++) { rows[r].hidden = false; }
      if (more) {
        more.hidden = base === 0;
        var m = more.querySelector(".more-n");
        if (m) { m.textContent = base ? "+" + base + " more" : ""; }
      }
      for (var i = rows.length - 1; i > 0 && panel.scrollHeight > panel.clientHeight + 1; i--) {
        rows[i].hidden = true;
        hidden++;
        if (more) {
          more.hidden = false;
          var n = more.querySelector(".more-n");
          if (n) { n.textContent = "+" + (base + hidden) + " more"; }
        }
      }
      panel.setAttribute("data-hidden-rows", String(hidden));
    }
    body.setAttribute("data-fitted", String(Date.now()));
  }
  fitPanels();
  window.addEventListener("resize", fitPanels);

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
        var text = typeof sum[key] === "number" ? sum[key].toLocaleString("en-US") : String(sum[key]);
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
          fitPanels();
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
