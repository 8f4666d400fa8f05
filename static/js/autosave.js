// Nothing lost (issue 10 §3): the editor saves itself a few seconds after a change and when the
// page is left, keeps a copy in this browser until the server confirms it, offers that copy back
// when the page is opened again, and never overwrites a save made elsewhere without asking.
//
// The server's answers are handlers/draft_autosave.go's: 200 {revision, url, message}, 409
// {conflict, revision, message}, 422 {errors, message}; anything else is words from the page.
(function () {
  'use strict';

  var DEBOUNCE = 3000; // ms after the last change
  var POLL = 2000;     // changes that fire no event (a cover's upload, reordering) are seen by polling
  var KEEPALIVE_MAX = 60000; // browsers cap keepalive requests and beacons at 64 KB

  function init(form) {
    var panel = document.querySelector('[data-autosave]');
    var status = form.querySelector('[data-autosave-status]');
    var revField = form.querySelector('input[data-revision]');
    if (!panel || !status || !revField || !window.fetch || !window.URLSearchParams) return;
    var body = document.body;
    var csrf = body.dataset.csrf || '';
    var id = parseInt(panel.dataset.draftId, 10) || 0;
    var url = panel.dataset.url;
    var msg = panel.dataset;
    // This page's id: its autosaves within a minute are one version; another tab's are not.
    var editor = Math.random().toString(36).slice(2) + Date.now().toString(36);

    var timer = null;
    var inflight = null;      // the promise of the save in flight
    var inflightBody = null;
    var lastSaved = null;     // the form as the server has it
    var stuck = null;         // a body the server refused for a reason retrying will not change
    var conflictRev = 0;      // set while a conflict waits for the operator's choice
    var leaving = false;      // submitted, or reloading on purpose: no save on the way out
    // A conflict the server rendered (a refused form post) also waits for a choice.
    var serverConflict = !!document.querySelector('[data-testid=draft-conflict]');

    function key(n) { return 'qunfa.draft.' + (n || 'new'); }

    function serialize() {
      if (window.qunfaEditor) window.qunfaEditor.sync(form);
      var data = new URLSearchParams();
      new FormData(form).forEach(function (v, k) {
        if (k === 'csrf_token' || k === 'revision' || typeof v !== 'string') return;
        data.append(k, v);
      });
      return data.toString();
    }

    function readCopy() {
      try { return JSON.parse(window.localStorage.getItem(key(id)) || 'null'); } catch (e) { return null; }
    }
    function writeCopy(extra) {
      var copy = { body: serialize(), base: parseInt(revField.value, 10) || 0, at: Date.now() };
      for (var k in extra) copy[k] = extra[k];
      try { window.localStorage.setItem(key(id), JSON.stringify(copy)); } catch (e) { /* full or off: the server copy is all */ }
    }
    function dropCopy(n) {
      try { window.localStorage.removeItem(key(n === undefined ? id : n)); } catch (e) { /* nothing kept */ }
    }

    function say(text, state) {
      status.textContent = text;
      status.dataset.state = state;
      status.classList.toggle('field-error', state === 'error');
    }

    function requestBody(b) {
      return b + '&revision=' + encodeURIComponent(revField.value || '0') + '&editor=' + editor +
        '&csrf_token=' + encodeURIComponent(csrf);
    }

    function changed() {
      if (leaving || conflictRev || serverConflict) return;
      var b = serialize();
      if (b === lastSaved) return;
      writeCopy({});
      if (b === stuck) return;
      if (status.dataset.state !== 'error') say(msg.msgPending, 'pending');
      clearTimeout(timer);
      timer = setTimeout(save, DEBOUNCE);
    }

    function save() {
      clearTimeout(timer);
      timer = null;
      if (leaving || conflictRev || serverConflict) return Promise.resolve();
      if (inflight) return inflight.then(save);
      var b = serialize();
      if (b === lastSaved) return Promise.resolve();
      inflightBody = b;
      say(msg.msgSaving, 'saving');
      inflight = fetch(url, {
        method: 'POST',
        body: requestBody(b),
        credentials: 'same-origin',
        keepalive: b.length < KEEPALIVE_MAX,
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          'X-CSRF-Token': csrf,
          'Accept': 'application/json'
        }
      }).then(function (res) {
        var type = res.headers.get('Content-Type') || '';
        var json = type.indexOf('application/json') === 0 ? res.json() : Promise.resolve(null);
        return json.then(function (j) { answered(res.status, j || {}, b); });
      }, function () {
        say(msg.msgOffline, 'error'); // no answer: try again when back online or at the next poll
      }).then(function () {
        inflight = null;
        inflightBody = null;
      });
      return inflight;
    }

    function answered(code, j, b) {
      if (code === 200 && j.ok) {
        revField.value = String(j.revision);
        lastSaved = b;
        stuck = null;
        if (!id && j.id) {
          dropCopy(0);
          id = j.id;
          url = '/drafts/' + id + '/autosave';
          panel.dataset.draftId = String(id);
          form.action = j.url;
          if (window.history && window.history.replaceState) window.history.replaceState(null, '', j.url);
        }
        if (serialize() === b) dropCopy(); else writeCopy({});
        say(j.message, 'saved');
        return;
      }
      if (code === 409 && j.conflict) {
        conflictRev = j.revision;
        var box = panel.querySelector('[data-autosave-conflict]');
        box.querySelector('[data-conflict-text]').textContent = j.message;
        box.hidden = false;
        say(j.message, 'error');
        return;
      }
      if (code === 422) {
        stuck = b;
        say(msg.msgInvalid, 'error');
        return;
      }
      if (code === 403 || code === 401) {
        stuck = b;
        say(msg.msgSession, 'error');
        return;
      }
      if (code === 404) {
        stuck = b;
        say(msg.msgGone, 'error');
        return;
      }
      say(msg.msgFailed, 'error');
    }

    // The operator's choice after a conflict.
    panel.addEventListener('click', function (ev) {
      var btn = ev.target.closest('[data-autosave-action]');
      if (!btn) return;
      ev.preventDefault();
      switch (btn.dataset.autosaveAction) {
        case 'reload': // theirs: what is on the server, dropping this page's changes
          leaving = true;
          dropCopy();
          window.location.reload();
          break;
        case 'overwrite': // mine: saved on top of theirs, which stays in the versions
          revField.value = String(conflictRev);
          conflictRev = 0;
          panel.querySelector('[data-autosave-conflict]').hidden = true;
          save();
          break;
        case 'restore':
          restore(readCopy());
          panel.querySelector('[data-autosave-restore]').hidden = true;
          break;
        case 'discard':
          dropCopy();
          panel.querySelector('[data-autosave-restore]').hidden = true;
          break;
      }
    });

    // A copy from an earlier visit that the server never confirmed: offer it back.
    function offerCopy() {
      var copy = readCopy();
      if (!copy || typeof copy.body !== 'string') return;
      var rev = parseInt(revField.value, 10) || 0;
      // A submitted form reached the server (this page is its answer); a beacon that was sent
      // and a revision that moved on since mean the server got it too.
      if (copy.submitted || (copy.beacon && rev > copy.base) || copy.body === lastSaved) {
        dropCopy();
        return;
      }
      var box = panel.querySelector('[data-autosave-restore]');
      box.querySelector('[data-restore-text]').textContent = msg.msgRestore.replace('{time}', beijingTime(copy.at));
      box.hidden = false;
    }

    function beijingTime(ms) {
      try {
        return new Intl.DateTimeFormat(document.documentElement.lang || 'zh', {
          timeZone: 'Asia/Shanghai', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false
        }).format(new Date(ms));
      } catch (e) {
        return new Date(ms).toISOString();
      }
    }

    // restore puts a kept copy back into the form: as many articles, each field, each editor.
    function restore(copy) {
      if (!copy) return;
      var data = new URLSearchParams(copy.body);
      var n = 0;
      data.forEach(function (v, k) {
        var m = /^articles\[(\d+)\]\./.exec(k);
        if (m) n = Math.max(n, parseInt(m[1], 10) + 1);
      });
      var list = function () { return form.querySelectorAll('[data-articles] > fieldset[data-testid="article"]'); };
      var add = form.querySelector('[data-action="add-article"]');
      while (add && list().length < n && !add.disabled) add.click();
      while (list().length > Math.max(n, 1)) {
        var last = list()[list().length - 1].querySelector('[data-action="remove-article"]');
        if (!last) break;
        last.click();
      }
      form.querySelectorAll('[name^="articles["]').forEach(function (el) {
        var v = data.get(el.name);
        if (el.type === 'checkbox') { el.checked = v !== null; return; }
        v = v === null ? '' : v;
        if (el.tagName === 'TEXTAREA' && el.hasAttribute('data-editor')) {
          setEditor(el, v);
        } else {
          el.value = v;
        }
        if (el.hasAttribute('data-thumb-id')) {
          var img = el.closest('[data-thumb]').querySelector('img[data-testid="thumb-preview"]');
          if (img) {
            if (v) img.src = '/thumbs/' + v; else img.removeAttribute('src');
            img.hidden = !v;
          }
        }
      });
      changed();
    }

    function setEditor(ta, html) {
      ta.value = html;
      var inst = window.Jodit && window.Jodit.instances;
      if (!inst) return;
      Object.keys(inst).forEach(function (k) {
        if (inst[k].element === ta) inst[k].value = html;
      });
    }

    // Changes: typing, the editors (app.js's qunfa:editor-change), buttons, and a poll for the rest.
    form.addEventListener('input', changed);
    form.addEventListener('change', changed);
    form.addEventListener('qunfa:editor-change', changed);
    form.addEventListener('click', function (ev) {
      if (ev.target.closest('[data-action]')) setTimeout(changed, 0);
    });
    setInterval(function () {
      if (!inflight && !timer) changed();
    }, POLL);
    window.addEventListener('online', function () { if (!conflictRev) save(); });

    // A manual save: let an autosave in flight land first, so the form carries its revision.
    form.addEventListener('submit', function (ev) {
      clearTimeout(timer);
      if (inflight) {
        ev.preventDefault();
        inflight.then(function () { form.requestSubmit ? form.requestSubmit() : form.submit(); });
        return;
      }
      leaving = true;
      writeCopy({ submitted: true });
    });

    // Leaving: a hidden tab saves at once (and hears the answer if it comes back); a page going
    // away sends a beacon, which carries the CSRF token in its body, and keeps the copy marked.
    document.addEventListener('visibilitychange', function () {
      if (document.visibilityState === 'hidden' && !leaving) save();
    });
    window.addEventListener('pagehide', function () {
      if (leaving || conflictRev || serverConflict) return;
      var b = serialize();
      if (b === lastSaved || b === inflightBody || b === stuck) return;
      var sent = false;
      if (navigator.sendBeacon && b.length < KEEPALIVE_MAX) {
        sent = navigator.sendBeacon(url, new URLSearchParams(requestBody(b)));
      }
      writeCopy({ beacon: sent });
    });
    // Back from the back-forward cache: the page's revision may be old; load it afresh.
    window.addEventListener('pageshow', function (ev) {
      if (ev.persisted) window.location.reload();
    });

    // The form as loaded is what the server has, or (a new draft) nothing worth saving yet.
    lastSaved = serialize();
    if (serverConflict) dropCopy(); else offerCopy();
  }

  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('form[data-testid="draft-form"]').forEach(init);
  });
})();
