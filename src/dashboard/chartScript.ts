/**
 * The browser side of the insight pages' charts, served as /dashboard/assets/insights.js: plain
 * JavaScript (no build step), kept here as text so the compiled app carries it. For each
 * element with data-chart it reads the JSON block that id names (a ChartSpec, see
 * insightsCommon.ts) and draws it with uPlot (served by the app as uplot.min.js). Text only:
 * labels go in as text, never as HTML.
 */
export const CHART_JS = String.raw`(function () {
  "use strict";
  if (typeof uPlot === "undefined") return;
  var COLORS = ["#0969da", "#bf3989", "#1a7f37", "#9a6700", "#8250df", "#cf222e", "#0550ae", "#57606a"];
  var charts = [];
  function pctFmt(v) { return v == null ? "" : Math.round(v * 100) + " %"; }
  function draw(el) {
    var block = document.getElementById(el.getAttribute("data-chart"));
    if (!block) return;
    var spec;
    try { spec = JSON.parse(block.textContent); } catch (e) { return; }
    if (!spec || !spec.x || spec.x.length === 0) return;
    var time = spec.xKind === "time";
    var data = [time ? spec.x.map(function (x) { return x / 1000; }) : spec.x];
    var series = [{ label: spec.xLabel, value: time ? "{YYYY}-{MM}-{DD} {HH}:{mm}" : function (u, v) { return v == null ? "" : pctFmt(v); } }];
    var counted = [];
    spec.series.forEach(function (s, i) {
      data.push(s.values);
      var color = s.style === "dashed" ? "#8c959f" : COLORS[i % COLORS.length];
      var counts = Array.isArray(s.counts) ? s.counts : null;
      if (counts) counted.push({ idx: i + 1, counts: counts });
      var def = {
        label: s.label,
        stroke: color,
        width: 2,
        spanGaps: s.style !== "step",
        value: function (u, v, si, idx) {
          var text = spec.percent ? pctFmt(v) : v;
          return counts && idx != null && counts[idx] != null ? text + " (n=" + counts[idx] + ")" : text;
        },
        points: { show: s.style === "points" || (s.style !== "dashed" && s.style !== "step"), size: 7, fill: color }
      };
      if (s.style === "dashed") def.dash = [6, 6];
      if (s.style === "step") def.paths = uPlot.paths.stepped({ align: 1 });
      series.push(def);
    });
    var yAxis = { label: spec.yLabel, values: function (u, vals) { return vals.map(spec.percent ? pctFmt : String); } };
    var xAxis = { label: spec.xLabel };
    if (!time) xAxis.values = function (u, vals) { return vals.map(pctFmt); };
    var scales = { x: { time: time }, y: { range: [0, 1] } };
    if (spec.xRange) scales.x.range = spec.xRange;
    var holder = el;
    var note = holder.querySelector(".no-js");
    if (note) note.remove();
    var opts = {
      width: Math.max(280, holder.clientWidth || 600),
      height: 280,
      scales: scales,
      series: series,
      axes: [xAxis, yAxis],
      legend: { show: true },
      hooks: { draw: [function (u) {
        // The count of each point, written above it.
        var ctx = u.ctx, ratio = window.devicePixelRatio || 1;
        counted.forEach(function (c) {
          ctx.save();
          ctx.font = Math.round(11 * ratio) + "px system-ui, sans-serif";
          ctx.fillStyle = "#57606a";
          ctx.textAlign = "center";
          c.counts.forEach(function (n, j) {
            var v = u.data[c.idx][j];
            if (v == null || n == null) return;
            ctx.fillText("n=" + n, u.valToPos(u.data[0][j], "x", true), u.valToPos(v, "y", true) - 9 * ratio);
          });
          ctx.restore();
        });
      }] }
    };
    charts.push({ plot: new uPlot(opts, data, holder), el: holder });
  }
  var els = document.querySelectorAll("[data-chart]");
  for (var i = 0; i < els.length; i++) draw(els[i]);
  var pending = null;
  window.addEventListener("resize", function () {
    if (pending) clearTimeout(pending);
    pending = setTimeout(function () {
      charts.forEach(function (c) { c.plot.setSize({ width: Math.max(280, c.el.clientWidth || 600), height: 280 }); });
    }, 150);
  });
})();
`;
