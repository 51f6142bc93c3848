// The planner's Gantt: drag a bar onto another machine's row or time. The drop fills the
// move form (order, step, machine, start in UTC) and says so; the planner checks it and
// presses the button, so the server's constraint check and re-plan stay the one way to move.
(function () {
  "use strict";
  var SNAP_MINUTES = 5;
  var THRESHOLD = 4; // pixels before a press on a bar becomes a drag (a click opens the order)

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function isoMinute(d) {
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) +
      "T" + pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
  }
  function say(form, key, values) {
    var text = form.getAttribute("data-msg-" + key) || "";
    Object.keys(values).forEach(function (k) { text = text.split("{" + k + "}").join(values[k]); });
    var status = document.getElementById("move-status");
    if (status) status.textContent = text;
  }
  function svgPoint(svg, event) {
    var point = svg.createSVGPoint();
    point.x = event.clientX;
    point.y = event.clientY;
    return point.matrixTransform(svg.getScreenCTM().inverse());
  }

  function start() {
    var form = document.getElementById("move-form");
    var svg = document.querySelector("svg.gantt.planner");
    if (!form || !svg) return;
    var lanes = Array.prototype.slice.call(svg.querySelectorAll("rect.lane"));
    var origin = Date.parse(svg.getAttribute("data-start"));
    var span = parseFloat(svg.getAttribute("data-span"));
    var left = parseFloat(svg.getAttribute("data-left"));
    var plot = parseFloat(svg.getAttribute("data-plot"));
    var row = parseFloat(svg.getAttribute("data-row"));
    var drag = null;
    var swallowClick = false;
    svg.classList.add("movable");

    function laneAt(y) { return lanes[Math.floor(y / row)] || null; }
    function reset() {
      if (drag) drag.bar.removeAttribute("transform");
      drag = null;
    }

    svg.addEventListener("pointerdown", function (event) {
      var bar = event.target.closest && event.target.closest("rect.bar[data-sequence]");
      if (!bar || event.button !== 0) return;
      var at = svgPoint(svg, event);
      drag = { bar: bar, x: at.x, y: at.y, moved: false, id: event.pointerId };
    });
    svg.addEventListener("pointermove", function (event) {
      if (!drag) return;
      var at = svgPoint(svg, event);
      var dx = at.x - drag.x, dy = at.y - drag.y;
      if (!drag.moved && Math.abs(dx) + Math.abs(dy) < THRESHOLD) return;
      if (!drag.moved) {
        drag.moved = true;
        svg.setPointerCapture(drag.id);
        drag.bar.classList.add("dragged");
      }
      event.preventDefault();
      drag.bar.setAttribute("transform", "translate(" + dx + " " + dy + ")");
    });
    svg.addEventListener("pointerup", function (event) {
      if (!drag || !drag.moved) { drag = null; return; }
      var bar = drag.bar;
      var at = svgPoint(svg, event);
      var dx = at.x - drag.x;
      var lane = laneAt(at.y);
      var machine = bar.getAttribute("data-machine");
      swallowClick = true;
      if (lane) {
        var center = lane.getAttribute("data-center");
        var laneMachine = lane.getAttribute("data-machine");
        if (laneMachine) machine = laneMachine;
        else if (machine.lastIndexOf(center + "-", 0) !== 0) {
          say(form, "open", {});
          reset();
          return;
        }
      }
      var select = form.querySelector("[name=machine]");
      var known = Array.prototype.some.call(select.options, function (o) { return o.value === machine || o.text === machine; });
      if (!known) { say(form, "machine", { machine: machine }); reset(); return; }
      var x0 = parseFloat(bar.getAttribute("x"));
      var seconds = (x0 + dx - left) / plot * span;
      var begin = new Date(origin + seconds * 1000);
      var snap = SNAP_MINUTES * 60 * 1000;
      begin = new Date(Math.round(begin.getTime() / snap) * snap);
      form.querySelector("[name=order]").value = bar.getAttribute("data-order");
      form.querySelector("[name=sequence]").value = bar.getAttribute("data-sequence");
      select.value = machine;
      form.querySelector("[name=start]").value = isoMinute(begin);
      say(form, "ready", {
        order: bar.getAttribute("data-order"),
        step: bar.getAttribute("data-sequence"),
        machine: machine,
        at: isoMinute(begin).replace("T", " ")
      });
      drag = null; // the bar stays where it was dropped until the page reloads
      var button = document.getElementById("move-submit");
      if (button) { button.scrollIntoView({ block: "center" }); button.focus({ preventScroll: true }); }
    });
    svg.addEventListener("pointercancel", reset);
    document.addEventListener("keydown", function (event) { if (event.key === "Escape") reset(); });
    // a drag ends on the bar's link: that click must not open the order
    svg.addEventListener("click", function (event) {
      if (swallowClick) { event.preventDefault(); event.stopPropagation(); swallowClick = false; }
    }, true);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
