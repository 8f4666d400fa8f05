// Chart panels (views/chart_panel.templ): each [data-chart-panel] holds its chart's data as JSON
// (chart-<id>-data) and a canvas (chart-<id>); this draws it with Chart.js (the calendar with
// chartjs-chart-matrix), draws it again when htmx replaces the panel (a live update), and offers
// the chart as a PNG. The same figures are in the panel's table, which needs no script.
(function () {
  'use strict';

  // The drawn charts by panel id; tests read their data from here.
  var charts = window.qunfaCharts = window.qunfaCharts || {};

  function percentTick(v) { return v + '%'; }

  function alpha(hex, a) {
    var n = parseInt(hex.slice(1), 16);
    return 'rgba(' + (n >> 16) + ',' + ((n >> 8) & 255) + ',' + (n & 255) + ',' + a + ')';
  }

  function seriesConfig(spec) {
    return spec.series.map(function (s) {
      var line = s.type === 'line' || spec.kind === 'line';
      return {
        type: line ? 'line' : 'bar',
        label: s.label,
        data: s.values,
        yAxisID: s.axis === 'y2' ? 'y2' : 'y',
        borderColor: s.color,
        backgroundColor: line ? s.color : alpha(s.color, 0.8),
        borderWidth: line ? 2 : 0,
        borderRadius: line ? 0 : 3,
        pointRadius: line ? 2 : 0,
        spanGaps: false,
        order: line ? 0 : 1
      };
    });
  }

  function config(spec) {
    spec.series = spec.series || [];
    spec.labels = spec.labels || [];
    var base = {
      // The canvas follows its box, which follows the card; no motion, so a live update or a
      // resize is drawn at once.
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { display: spec.series.length > 1, position: 'bottom' } }
    };
    if (spec.kind === 'matrix') return matrixConfig(spec, base);
    var scales = { x: { ticks: { autoSkip: true, maxRotation: 0 } }, y: { beginAtZero: true, ticks: { precision: 0 } } };
    if (spec.percent) {
      scales.y.max = 100;
      scales.y.ticks = { callback: percentTick };
      base.plugins.tooltip = { callbacks: { label: function (c) { return c.dataset.label + ': ' + c.formattedValue + '%'; } } };
    }
    if (spec.series.some(function (s) { return s.axis === 'y2'; })) {
      scales.y2 = { position: 'right', beginAtZero: false, grid: { drawOnChartArea: false }, ticks: { precision: 0 } };
    }
    if (spec.kind === 'hbar') {
      base.indexAxis = 'y';
      scales = { x: { beginAtZero: true, ticks: { precision: 0 } }, y: { ticks: { autoSkip: false } } };
    }
    base.scales = scales;
    return { type: spec.kind === 'line' ? 'line' : 'bar', data: { labels: spec.labels, datasets: seriesConfig(spec) }, options: base };
  }

  function cell(area, cols) {
    return area ? Math.max(Math.min(area.width / cols, area.height / 7) - 3, 2) : 10;
  }

  // The calendar: one column a week, one row a weekday (Monday on top), darker for more calls.
  function matrixConfig(spec, base) {
    var cols = 1;
    spec.matrix.forEach(function (c) { cols = Math.max(cols, c.x + 1); });
    var max = spec.matrixMax || 1;
    base.plugins.legend = { display: false };
    base.plugins.tooltip = { callbacks: { title: function () { return ''; }, label: function (c) { return c.raw.label; } } };
    base.scales = {
      x: { type: 'linear', min: -0.5, max: cols - 0.5, offset: false, display: false },
      y: {
        type: 'linear', min: -0.5, max: 6.5, reverse: true, offset: false,
        grid: { display: false }, border: { display: false },
        // One tick a row, named by its weekday.
        afterBuildTicks: function (axis) { axis.ticks = [0, 1, 2, 3, 4, 5, 6].map(function (v) { return { value: v }; }); },
        ticks: { autoSkip: false, callback: function (v) { return (spec.weekdays || [])[v] || ''; } }
      }
    };
    return {
      type: 'matrix',
      data: {
        datasets: [{
          label: spec.series.length ? spec.series[0].label : '',
          data: spec.matrix,
          backgroundColor: function (c) {
            var v = c.raw ? c.raw.v : 0;
            return v > 0 ? alpha('#1e88e5', 0.15 + 0.85 * Math.min(v / max, 1)) : '#eef1f4';
          },
          borderColor: function (c) { return c.raw && c.raw.v >= max ? '#b71c1c' : 'rgba(0,0,0,0.08)'; },
          borderWidth: 1,
          // Square days, as large as the area allows.
          width: function (c) { return cell(c.chart.chartArea, cols); },
          height: function (c) { return cell(c.chart.chartArea, cols); }
        }]
      },
      options: base
    };
  }

  function draw(panel) {
    var id = panel.dataset.chartPanel;
    var canvas = document.getElementById('chart-' + id);
    var script = document.getElementById('chart-' + id + '-data');
    var old = charts[id];
    if (old && old.canvas !== canvas) {
      old.destroy();
      delete charts[id];
    }
    if (!canvas || !script || !window.Chart || charts[id]) return;
    var spec;
    try { spec = JSON.parse(script.textContent); } catch (e) { return; }
    var chart = new window.Chart(canvas, config(spec));
    chart.$spec = spec;
    charts[id] = chart;
    if (window.ResizeObserver && canvas.parentNode) {
      new window.ResizeObserver(function () { if (charts[id] === chart) chart.resize(); }).observe(canvas.parentNode);
    }
    var png = panel.querySelector('[data-chart-png]');
    if (png) png.hidden = false;
  }

  // One chart that cannot be drawn leaves the others (and its own table) as they are.
  function drawAll() {
    document.querySelectorAll('[data-chart-panel]').forEach(function (panel) {
      try { draw(panel); } catch (e) { if (window.console) window.console.error('chart ' + panel.dataset.chartPanel, e); }
    });
  }

  // The chart as a PNG file, on a white ground (the canvas itself is transparent).
  function downloadPNG(button) {
    var panel = button.closest('[data-chart-panel]');
    var chart = panel && charts[panel.dataset.chartPanel];
    if (!chart) return;
    var src = chart.canvas;
    var out = document.createElement('canvas');
    out.width = src.width;
    out.height = src.height;
    var ctx = out.getContext('2d');
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.drawImage(src, 0, 0);
    var a = document.createElement('a');
    a.href = out.toDataURL('image/png');
    a.download = (chart.$spec.filename || 'chart') + '.png';
    document.body.appendChild(a);
    a.click();
    a.remove();
  }

  document.addEventListener('click', function (ev) {
    var b = ev.target.closest('[data-chart-png]');
    if (b) downloadPNG(b);
  });
  document.addEventListener('DOMContentLoaded', drawAll);
  document.addEventListener('htmx:afterSettle', drawAll);
})();
