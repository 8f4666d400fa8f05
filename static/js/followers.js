// The followers page's sync progress: while a sync runs, ask /followers/sync/status every second
// and move the bar, the rows and the rate/time left in place; when it ends, load the page again
// so the table and the counts show what it synced. Without JavaScript the page shows the
// progress as of its loading (reload to update).
(function () {
  'use strict';
  var box = document.querySelector('[data-testid=sync-progress]');
  if (!box || box.dataset.running !== 'true') return;
  var bar = box.querySelector('[data-testid=sync-bar]');
  var text = box.querySelector('[data-testid=sync-text]');
  var speed = box.querySelector('[data-testid=sync-speed]');
  var url = box.dataset.statusUrl;
  var id = null;

  function poll() {
    fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (!s) { setTimeout(poll, 2000); return; }
        if (id === null) id = s.id;
        bar.value = s.percent;
        text.textContent = s.text;
        speed.textContent = s.speed || '';
        box.dataset.phase = s.phase;
        if (s.finished || s.id !== id) {
          box.dataset.running = 'false';
          window.location.reload();
          return;
        }
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  setTimeout(poll, 1000);
})();
