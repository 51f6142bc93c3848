// Live dashboard: server-sent events tell the page something changed; htmx re-fetches the
// panels that listen for "openfab-changed". New events are listed as plain text (no HTML).
(function () {
  "use strict";
  function start() {
    var feed = document.querySelector("[data-live-feed]");
    if (!feed || !window.EventSource) return;
    var status = document.getElementById("live-status");
    var source = new EventSource(feed.getAttribute("data-live-feed"));
    var timer = null;
    source.onopen = function () {
      feed.classList.add("on");
      if (status) status.textContent = feed.getAttribute("data-label-live");
    };
    source.onerror = function () {
      feed.classList.remove("on");
      if (status) status.textContent = feed.getAttribute("data-label-off");
    };
    // The events panel is re-rendered on every change, which empties its list: keep the
    // newest lines here and draw them again after each swap.
    var recent = [];
    function drawRecent() {
      var list = document.getElementById("live-events");
      if (!list) return;
      list.textContent = "";
      recent.forEach(function (line) {
        var item = document.createElement("li");
        item.textContent = line;
        list.appendChild(item);
      });
    }
    document.body.addEventListener("htmx:afterSwap", drawRecent);
    source.addEventListener("openfab", function (message) {
      var event = JSON.parse(message.data);
      recent.unshift("#" + event.seq + " " + event.at + " " + event.type + " " + event.summary);
      recent = recent.slice(0, 8);
      drawRecent();
      if (status) status.textContent = feed.getAttribute("data-label-live") + " · #" + event.seq;
      clearTimeout(timer);
      timer = setTimeout(function () {
        if (window.htmx) window.htmx.trigger(document.body, "openfab-changed");
      }, 400);
    });
    window.addEventListener("beforeunload", function () { source.close(); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
