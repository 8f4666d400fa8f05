// The editor's phone preview and its limits as one types (issue 10). The limits come from the
// server's one table (models/article_limits.go, embedded as #editor-limits with the catalogue's
// messages); the server refuses the same on save. The preview is rendered by the server
// (POST /drafts/preview-render: the sanitiser and image rules a send applies) and shown in an
// iframe sandboxed with no permission, so nothing in an article ever runs as script here.
(function () {
  'use strict';

  var STORE_KEY = 'qunfa.preview.hidden';
  var DEBOUNCE_MS = 400;

  function readConfig() {
    var el = document.getElementById('editor-limits');
    if (!el) return null;
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }

  // Characters as the server counts them: code points (an emoji is one, not two UTF-16 units).
  function chars(s) { return Array.from(s || '').length; }
  function bytes(s) { return new Blob([s || '']).size; }

  function fieldName(el) {
    var m = /^articles\[\d+\]\.([a-z_]+)$/.exec(el.name || '');
    return m ? m[1] : '';
  }

  // Images copied from this site arrive with its absolute URL; the server keeps /images/N.
  function relativeOwnImages(html) {
    var own = 'src="' + window.location.origin + '/images/';
    return html.split(own).join('src="/images/');
  }

  function joditOf(textarea) {
    var all = window.Jodit && window.Jodit.instances;
    if (!all) return null;
    var found = null;
    Object.keys(all).forEach(function (k) {
      if (all[k] && all[k].element === textarea && !all[k].isInDestruct) found = all[k];
    });
    return found;
  }

  function contentOf(textarea) {
    var j = joditOf(textarea);
    return relativeOwnImages(j ? j.value : textarea.value);
  }

  function validURL(v) {
    try {
      var u = new URL(v);
      return (u.protocol === 'http:' || u.protocol === 'https:') && u.host !== '';
    } catch (e) { return false; }
  }

  function init(form, cfg) {
    var L = cfg.limits, M = cfg.messages;
    var workspace = form.closest('[data-editor-workspace]');
    var pane = workspace && workspace.querySelector('[data-phone-preview]');

    // ---- limits at each field --------------------------------------------

    // The counter and the message of a field live after it, with ids derived from the field's
    // (app.js renumbers ids starting with a0-… when articles move, these included).
    function helpers(input) {
      var field = input.closest('.field');
      var counter = field.querySelector('[data-limit-counter]');
      if (!counter) {
        counter = document.createElement('small');
        counter.className = 'limit-counter muted';
        counter.setAttribute('data-limit-counter', '');
        counter.setAttribute('data-testid', 'limit-counter');
        var msg = document.createElement('p');
        msg.className = 'field-error';
        msg.setAttribute('data-limit-error', '');
        msg.hidden = true;
        field.appendChild(counter);
        field.appendChild(msg);
      }
      var error = field.querySelector('[data-limit-error]');
      counter.id = input.id + '-count';
      error.id = input.id + '-limit';
      input.setAttribute('aria-describedby', counter.id + ' ' + error.id);
      return { counter: counter, error: error };
    }

    function show(input, h, message) {
      if (message) {
        h.error.textContent = message;
        h.error.hidden = false;
        h.error.setAttribute('data-testid', 'limit-error');
        input.setAttribute('aria-invalid', 'true');
      } else {
        h.error.textContent = '';
        h.error.hidden = true;
        h.error.removeAttribute('data-testid');
        input.removeAttribute('aria-invalid');
      }
    }

    var maxOf = { title: L.title, author: L.author, digest: L.digest };

    function checkField(input, touched) {
      var name = fieldName(input);
      if (!input.id || !input.closest('.field')) return;
      var h;
      if (maxOf[name]) {
        h = helpers(input);
        var n = chars(input.value.trim());
        h.counter.textContent = n + '/' + maxOf[name];
        h.counter.classList.toggle('over', n > maxOf[name]);
        show(input, h, n > maxOf[name] ? M[name] : '');
      } else if (name === 'content') {
        h = helpers(input);
        var html = contentOf(input);
        var c = chars(html), b = bytes(html);
        h.counter.textContent = c.toLocaleString() + '/' + L.content.toLocaleString();
        var over = b >= L.contentBytes ? M.contentBytes : (c >= L.content ? M.content : '');
        h.counter.classList.toggle('over', !!over);
        show(input, h, over);
      } else if (name === 'source_url') {
        h = helpers(input);
        h.counter.textContent = '';
        var v = input.value.trim();
        var bad = v !== '' && (!validURL(v) || bytes(v) > L.sourceURL);
        // Shown once the field is left (or was already shown): not at the first letter typed.
        if (!bad || touched || !h.error.hidden) show(input, h, bad ? M.sourceURL : '');
      }
    }

    function checkArticles() {
      var list = form.querySelectorAll('[data-articles] > fieldset[data-testid="article"]');
      var note = form.querySelector('[data-articles-limit]');
      if (!note) {
        var actions = form.querySelector('.form-actions');
        if (!actions) return;
        note = document.createElement('p');
        note.className = 'muted small';
        note.setAttribute('data-articles-limit', '');
        note.setAttribute('data-testid', 'articles-limit');
        note.setAttribute('role', 'status');
        actions.parentNode.insertBefore(note, actions.nextSibling);
      }
      var full = list.length >= L.articles;
      note.textContent = full ? M.articles : '';
      note.hidden = !full;
    }

    function checkAll() {
      form.querySelectorAll('[name^="articles["]').forEach(function (el) { checkField(el, false); });
      checkArticles();
    }

    // A cover is checked before it is sent: JPEG, at most the table's bytes. A refused file
    // never reaches app.js's upload (this runs first, in the capture phase).
    form.addEventListener('change', function (ev) {
      var input = ev.target;
      if (!input.matches || !input.matches('[data-thumb-file]')) return;
      var file = input.files && input.files[0];
      var field = input.closest('[data-thumb]');
      var err = field && field.querySelector('[data-thumb-error]');
      if (!file || !err) return;
      var msg = '';
      if (L.thumbTypes.indexOf(file.type) < 0) msg = M.thumbType;
      else if (file.size > L.thumbBytes) msg = M.thumbBytes;
      if (!msg) return;
      ev.stopPropagation();
      input.value = '';
      err.textContent = msg;
      err.hidden = false;
      err.setAttribute('data-testid', 'field-error');
      input.setAttribute('aria-invalid', 'true');
    }, true);

    // ---- the preview --------------------------------------------------------

    var frame = pane && pane.querySelector('[data-preview-frame]');
    var status = pane && pane.querySelector('[data-preview-status]');
    var toggle = pane && pane.querySelector('[data-preview-toggle]');
    var body = pane && pane.querySelector('[data-preview-body]');
    var view = 'card';
    var docs = null;
    var current = 0; // the article whose page is shown: the one last edited
    var timer = null, seq = 0;

    function hidden() { return !body || body.hidden; }

    function formBody() {
      var params = new URLSearchParams();
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name || el.disabled || el.type === 'file') return;
        if ((el.type === 'checkbox' || el.type === 'radio') && !el.checked) return;
        params.append(el.name, el.matches('textarea[data-editor]') ? contentOf(el) : el.value);
      });
      params.append('article', String(current));
      return params;
    }

    function showDoc() {
      if (!frame || !docs) return;
      var html = view === 'card' ? docs.card : docs.article;
      if (frame.srcdoc !== html) frame.srcdoc = html;
    }

    // The digest WeChat fills in shows as the empty field's placeholder.
    function showDigests(digests) {
      var fields = form.querySelectorAll('[data-articles] > fieldset[data-testid="article"]');
      fields.forEach(function (fs, i) {
        var ta = fs.querySelector('[name$=".digest"]');
        var d = digests[i];
        if (!ta) return;
        ta.placeholder = d && d.filled && d.text ? M.digestFill.replace('%s', d.text) : '';
      });
    }

    function render() {
      timer = null;
      var mine = ++seq;
      fetch('/drafts/preview-render', {
        method: 'POST',
        body: formBody(),
        credentials: 'same-origin',
        headers: { 'X-CSRF-Token': document.body.dataset.csrf || '', 'Accept': 'application/json' }
      }).then(function (res) {
        if (!res.ok) throw new Error(String(res.status));
        return res.json();
      }).then(function (json) {
        if (mine !== seq) return; // a later edit's answer is on its way
        docs = json;
        showDigests(json.digests || []);
        showDoc();
        if (status) status.textContent = '';
      }).catch(function () {
        if (mine === seq && status) status.textContent = status.dataset.msgFailed || '';
      });
    }

    function schedule() {
      checkAll();
      if (!frame || hidden()) return; // a hidden preview asks the server for nothing
      if (timer) clearTimeout(timer);
      timer = setTimeout(render, DEBOUNCE_MS);
    }

    function setHidden(h, remember) {
      if (!pane) return;
      body.hidden = h;
      toggle.setAttribute('aria-expanded', h ? 'false' : 'true');
      toggle.textContent = h ? toggle.dataset.labelShow : toggle.dataset.labelHide;
      workspace.classList.toggle('preview-on', !h);
      workspace.classList.toggle('preview-off', h);
      if (remember) {
        try { window.localStorage.setItem(STORE_KEY, h ? '1' : '0'); } catch (e) { /* private mode */ }
      }
      if (!h) schedule();
    }

    if (pane) {
      pane.hidden = false;
      var stored = null;
      try { stored = window.localStorage.getItem(STORE_KEY); } catch (e) { /* private mode */ }
      // On a narrow screen the preview comes above the editor and starts hidden; until the
      // operator chooses, it follows the width (a rotated tablet, a resized window).
      var narrow = window.matchMedia && window.matchMedia('(max-width: 1000px)');
      var chosen = stored !== null;
      setHidden(chosen ? stored === '1' : !!(narrow && narrow.matches), false);
      if (narrow && narrow.addEventListener) {
        narrow.addEventListener('change', function (e) { if (!chosen) setHidden(e.matches, false); });
      }
      toggle.addEventListener('click', function () { chosen = true; setHidden(!hidden(), true); });
      pane.querySelectorAll('[data-preview-view]').forEach(function (btn) {
        btn.addEventListener('click', function () {
          view = btn.dataset.previewView;
          pane.querySelectorAll('[data-preview-view]').forEach(function (b) {
            b.setAttribute('aria-pressed', b === btn ? 'true' : 'false');
          });
          showDoc();
        });
      });
    }

    function articleIndex(el) {
      var fs = el && el.closest && el.closest('fieldset[data-testid="article"]');
      var i = fs ? parseInt(fs.dataset.index, 10) : NaN;
      return isNaN(i) ? current : i;
    }

    form.addEventListener('input', function (ev) {
      var i = articleIndex(ev.target);
      if (i !== current) current = i;
      schedule();
    });
    form.addEventListener('change', schedule);
    form.addEventListener('focusout', function (ev) {
      if (ev.target.name) checkField(ev.target, true);
    });
    form.addEventListener('focusin', function (ev) {
      var i = articleIndex(ev.target);
      if (i !== current) { current = i; schedule(); }
    });

    // Jodit's toolbar changes (bold, an image) fire no input event: its own change does.
    var hooked = new WeakSet();
    function hookEditors() {
      form.querySelectorAll('textarea[data-editor]').forEach(function (ta) {
        var j = joditOf(ta);
        if (!j || hooked.has(j)) return;
        hooked.add(j);
        j.events.on('change', function () {
          current = articleIndex(ta);
          schedule();
        });
      });
    }
    // Articles added, removed or moved (app.js), and a cover uploaded (its hidden id).
    var list = form.querySelector('[data-articles]');
    if (list && window.MutationObserver) {
      new MutationObserver(function () { hookEditors(); schedule(); }).observe(list, { childList: true });
      new MutationObserver(schedule).observe(list, { subtree: true, attributes: true, attributeFilter: ['src'] });
    }
    hookEditors();
    checkAll();
    schedule();
  }

  document.addEventListener('DOMContentLoaded', function () {
    var cfg = readConfig();
    if (!cfg) return;
    document.querySelectorAll('form[data-testid="draft-form"]').forEach(function (f) { init(f, cfg); });
  });
})();
