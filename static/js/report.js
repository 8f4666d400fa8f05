// A send's report: the funnel (a horizontal bar chart, Total → Filter → Sent / Error) and the
// reads, shares and favourites by day, drawn with Chart.js from the JSON the live part embeds.
// When htmx swaps the live part (a callback arrived, statistics were fetched), the canvases are
// new: the old charts are destroyed and drawn again. The tables beside them hold the same numbers.
(function () {
  'use strict';

  var charts = [];
  var colors = { funnel: ['#90a4ae', '#64b5f6', '#07a35a', '#e57373'], series: ['#07a35a', '#1e88e5', '#f9a825'] };

  function base() {
    return {
      // The canvas follows its box (.chart-box); drawn at once, no motion.
      responsive: true,
      maintainAspectRatio: false,
      animation: false
    };
  }

  function draw() {
    var script = document.getElementById('report-data');
    if (!script || !window.Chart) return;
    var data;
    try { data = JSON.parse(script.textContent); } catch (e) { return; }
    charts.forEach(function (c) { c.destroy(); });
    charts = [];

    var funnel = document.getElementById('funnel-chart');
    if (funnel && data.funnel) {
      var opts = base();
      opts.indexAxis = 'y';
      opts.plugins = { legend: { display: false } };
      opts.scales = { x: { beginAtZero: true, ticks: { precision: 0 } } };
      charts.push(new window.Chart(funnel, {
        type: 'bar',
        data: {
          labels: data.funnel.labels,
          datasets: [{ data: data.funnel.values, backgroundColor: colors.funnel, borderRadius: 4 }]
        },
        options: opts
      }));
    }

    var reads = document.getElementById('reads-chart');
    if (reads && data.days && data.days.length) {
      var ropts = base();
      ropts.plugins = { legend: { position: 'bottom' } };
      ropts.scales = { y: { beginAtZero: true, ticks: { precision: 0 } } };
      charts.push(new window.Chart(reads, {
        type: 'bar',
        data: {
          labels: data.days,
          datasets: data.series.map(function (s, i) {
            return { label: s.label, data: s.values, backgroundColor: colors.series[i % colors.series.length], borderRadius: 3 };
          })
        },
        options: ropts
      }));
    }
  }

  document.addEventListener('DOMContentLoaded', draw);
  // The live part is the only thing htmx swaps on this page.
  document.addEventListener('htmx:afterSettle', draw);
})();
