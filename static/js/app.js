// Qunfa dashboard behaviour: the article editor (Jodit, thumbnails, add /
// remove / reorder) and the send page's chart. Pages work without it where
// they can: the content textarea is a plain field, forms post normally.
(function () {
  'use strict';

  var body = document.body;
  var csrf = body.dataset.csrf || '';
  var joditLang = body.dataset.lang === 'en' ? 'en' : 'zh_cn';

  // ---- article editor -------------------------------------------------

  var editors = new WeakMap(); // textarea → {jodit, last}

  // Toolbar limited to what WeChat articles keep: inline styles, no classes.
  var joditOptions = {
    language: joditLang,
    height: 'auto',
    minHeight: 320,
    toolbarAdaptive: false,
    buttons: [
      'bold', 'italic', 'underline', 'strikethrough', '|',
      'font', 'fontsize', 'brush', 'paragraph', 'lineHeight', '|',
      'left', 'center', 'right', 'justify', '|',
      'ul', 'ol', 'indent', 'outdent', '|',
      'link', 'image', 'hr', 'table', '|',
      'eraser', 'undo', 'redo', 'source'
    ],
    askBeforePasteHTML: false,
    askBeforePasteFromWord: false,
    defaultActionOnPaste: 'insert_as_html',
    // These would fetch helpers from a CDN; the binary must work offline.
    beautifyHTML: false,
    sourceEditor: 'area',
    showXPathInStatusbar: false,
    iframe: false,
    // Images inside the content: the image button's upload tab, pasted and
    // dropped files go to POST /images (JPEG or PNG under 1 MB, WeChat's
    // uploadimg rule); the editor shows them from /images/N, and sending
    // replaces that src with the URL WeChat gives. The answer is Jodit's own
    // shape; refusals (422) carry a translated message that Jodit shows.
    uploader: {
      url: '/images',
      filesVariableName: function () { return 'file'; },
      imagesExtensions: ['jpg', 'jpeg', 'png'],
      insertImageAsBase64URI: false,
      // Jodit's own request drops the body of a non-2xx answer, and with it
      // the message; fetch keeps it.
      customUploadFunction: function (data, progress) {
        if (progress) progress(10);
        return postFile('/images', data).then(function (r) {
          if (progress) progress(100);
          return r.json;
        });
      },
      isSuccess: function (resp) { return !!(resp && resp.success); },
      getMessage: function (resp) {
        var msgs = resp && resp.data && resp.data.messages;
        var msg = resp && resp.message;
        if (!msg && msgs && msgs.length && typeof msgs[0] === 'string') msg = msgs.join(' ');
        return msg || uploadFailedMessage();
      }
    }
  };

  // postFile is the one upload request (a cover, an image in the content): multipart field
  // "file", the CSRF header, a JSON answer. It resolves, never rejects, to {ok, json}; json is
  // {} when the answer is not JSON (an expired session's login page) or none came at all.
  function postFile(url, data) {
    return fetch(url, {
      method: 'POST',
      body: data,
      credentials: 'same-origin',
      headers: { 'X-CSRF-Token': csrf, 'Accept': 'application/json' }
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (json) {
        return { ok: res.ok, json: json || {} };
      });
    }, function () {
      return { ok: false, json: {} };
    });
  }

  // The catalogue's "upload failed" text, which the page carries on each
  // thumbnail field (a non-JSON answer, e.g. an expired session, has none).
  function uploadFailedMessage() {
    var el = document.querySelector('[data-msg-failed]');
    return (el && el.dataset.msgFailed) || 'upload failed';
  }

  // Images copied from another draft arrive with this site's absolute URL;
  // the server keeps only the relative /images/N form of its own images.
  function relativeOwnImages(html) {
    var own = 'src="' + window.location.origin + '/images/';
    return html.split(own).join('src="/images/');
  }

  function makeEditor(textarea) {
    if (!window.Jodit || editors.has(textarea)) return;
    var state = { jodit: null, last: textarea.value };
    state.jodit = window.Jodit.make(textarea, joditOptions);
    state.jodit.events.on('change', function (value) { state.last = value; });
    state.jodit.events.on('change', function () { textarea.dispatchEvent(new CustomEvent('qunfa:editor-change', { bubbles: true })); }); // autosave.js
    editors.set(textarea, state);
  }

  function destroyEditor(textarea) {
    var state = editors.get(textarea);
    if (!state) return;
    state.jodit.destruct();
    editors.delete(textarea);
  }

  // Copy each editor's HTML into its field, unless the field was set from
  // outside since the editor last wrote it (then the field wins).
  function syncEditors(form) {
    form.querySelectorAll('textarea[data-editor]').forEach(function (ta) {
      var state = editors.get(ta);
      if (state && ta.value === state.last) {
        ta.value = relativeOwnImages(state.jodit.value);
        state.last = ta.value;
      }
    });
  }

  function articles(form) {
    return Array.prototype.slice.call(form.querySelectorAll('[data-articles] > fieldset[data-testid="article"]'));
  }

  // Rewrite articles[i].* names, ids and error anchors to the new order.
  function renumber(form) {
    var list = articles(form);
    var max = parseInt(form.dataset.maxArticles, 10) || 10;
    list.forEach(function (fs, i) {
      fs.dataset.index = String(i);
      var legend = fs.querySelector('[data-article-legend]');
      if (legend) legend.textContent = (legend.dataset.label || '%d').replace('%d', String(i + 1));
      fs.querySelectorAll('[name^="articles["]').forEach(function (el) {
        el.name = el.name.replace(/^articles\[\d+\]/, 'articles[' + i + ']');
      });
      fs.querySelectorAll('[id^="a"]').forEach(function (el) {
        el.id = el.id.replace(/^a\d+-/, 'a' + i + '-');
      });
      fs.querySelectorAll('label[for^="a"]').forEach(function (el) {
        el.htmlFor = el.htmlFor.replace(/^a\d+-/, 'a' + i + '-');
      });
      fs.querySelectorAll('[data-field^="articles."]').forEach(function (el) {
        el.dataset.field = el.dataset.field.replace(/^articles\.\d+\./, 'articles.' + i + '.');
      });
      fs.querySelector('[data-action="move-up"]').disabled = i === 0;
      fs.querySelector('[data-action="move-down"]').disabled = i === list.length - 1;
      fs.querySelector('[data-action="remove-article"]').disabled = list.length === 1;
    });
    var add = form.querySelector('[data-action="add-article"]');
    if (add) add.disabled = list.length >= max;
  }

  // A clean copy of an article, taken before any editor is mounted.
  function blankFrom(fs) {
    var copy = fs.cloneNode(true);
    copy.querySelectorAll('input[type=text], input[type=url], input[type=hidden], textarea').forEach(function (el) {
      el.value = '';
      if (el.tagName === 'TEXTAREA') el.textContent = '';
    });
    copy.querySelectorAll('input[type=checkbox]').forEach(function (el) {
      el.checked = false;
      el.removeAttribute('checked');
    });
    copy.querySelectorAll('input[type=file]').forEach(function (el) { el.value = ''; });
    copy.querySelectorAll('img[data-testid="thumb-preview"]').forEach(function (img) {
      img.removeAttribute('src');
      img.hidden = true;
    });
    copy.querySelectorAll('.field-error').forEach(function (el) {
      if (el.hasAttribute('data-thumb-error')) {
        el.hidden = true;
        el.textContent = '';
        el.removeAttribute('data-testid');
      } else {
        el.remove();
      }
    });
    return copy;
  }

  function showThumbError(field, message) {
    var err = field.querySelector('[data-thumb-error]');
    if (!err) return;
    if (message) {
      err.textContent = message;
      err.hidden = false;
      err.setAttribute('data-testid', 'field-error');
    } else {
      err.textContent = '';
      err.hidden = true;
      err.removeAttribute('data-testid');
    }
  }

  function uploadThumb(input) {
    var field = input.closest('[data-thumb]');
    var file = input.files && input.files[0];
    if (!field || !file) return;
    var data = new FormData();
    data.append('file', file, file.name);
    showThumbError(field, '');
    field.classList.add('uploading');
    postFile('/thumbs', data).then(function (r) {
      var json = r.json;
      if (!r.ok || !json.id) throw new Error(json.message || field.dataset.msgFailed || 'upload failed');
      field.querySelector('[data-thumb-id]').value = String(json.id);
      var img = field.querySelector('img[data-testid="thumb-preview"]');
      img.src = json.url;
      img.hidden = false;
      // a server-side "thumb required" error no longer applies
      field.querySelectorAll('.field-error:not([data-thumb-error])').forEach(function (el) { el.remove(); });
    }).catch(function (e) {
      showThumbError(field, e.message);
    }).then(function () {
      field.classList.remove('uploading');
    });
  }

  function initDraftForm(form) {
    var list = articles(form);
    if (list.length === 0) return;
    var blank = blankFrom(list[0]);
    var container = form.querySelector('[data-articles]');

    list.forEach(function (fs) {
      fs.querySelectorAll('textarea[data-editor]').forEach(makeEditor);
    });
    renumber(form);

    form.addEventListener('click', function (ev) {
      var btn = ev.target.closest('[data-action]');
      if (!btn || !form.contains(btn)) return;
      var fs = btn.closest('fieldset[data-testid="article"]');
      switch (btn.dataset.action) {
        case 'add-article': {
          var max = parseInt(form.dataset.maxArticles, 10) || 10;
          if (articles(form).length >= max) return;
          var fresh = blank.cloneNode(true);
          container.appendChild(fresh);
          fresh.querySelectorAll('textarea[data-editor]').forEach(makeEditor);
          renumber(form);
          var title = fresh.querySelector('input[type=text]');
          if (title) title.focus();
          break;
        }
        case 'remove-article':
          if (articles(form).length <= 1) return;
          fs.querySelectorAll('textarea[data-editor]').forEach(destroyEditor);
          fs.remove();
          renumber(form);
          break;
        case 'move-up':
          if (fs.previousElementSibling) container.insertBefore(fs, fs.previousElementSibling);
          renumber(form);
          break;
        case 'move-down':
          if (fs.nextElementSibling) container.insertBefore(fs.nextElementSibling, fs);
          renumber(form);
          break;
        default:
          return;
      }
      ev.preventDefault();
    });

    form.addEventListener('change', function (ev) {
      if (ev.target.matches('[data-thumb-file]')) uploadThumb(ev.target);
    });

    form.addEventListener('submit', function () {
      renumber(form);
      syncEditors(form);
    });
  }

  // ---- send page chart --------------------------------------------------

  var chart = null;

  function drawChart() {
    var canvas = document.getElementById('stats-chart');
    var script = document.getElementById('stats-data');
    if (!canvas || !script || !window.Chart) return;
    var data;
    try { data = JSON.parse(script.textContent); } catch (e) { return; }
    if (chart) {
      chart.data.labels = data.labels;
      chart.data.datasets[0].data = data.values;
      chart.update();
      return;
    }
    chart = new window.Chart(canvas, {
      type: 'bar',
      data: {
        labels: data.labels,
        datasets: [{
          data: data.values,
          backgroundColor: ['#90a4ae', '#64b5f6', '#07a35a', '#e57373'],
          borderRadius: 4
        }]
      },
      options: {
        // The canvas follows its box (.chart-box), which follows the card.
        responsive: true,
        maintainAspectRatio: false,
        // Drawn at once: no motion, and a resize or new figures never wait for an animation.
        animation: false,
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }
      }
    });
    // Chart.js resizes on the animation frame after its box changes; resizing in the observer
    // itself redraws in the same frame, so a rotated phone never shows a stretched chart.
    if (window.ResizeObserver && canvas.parentNode) {
      new window.ResizeObserver(function () { if (chart) chart.resize(); }).observe(canvas.parentNode);
    }
  }

  // ---- small helpers ----------------------------------------------------

  // The phone's menu button: opens and closes the navigation (CSS folds it
  // only on narrow screens, and only once this script runs). Escape closes it
  // and gives the focus back to the button.
  function initMenu() {
    var button = document.querySelector('[data-testid="menu-toggle"]');
    var bar = button && button.closest('.topbar');
    if (!bar) return;
    function set(open) {
      bar.classList.toggle('menu-open', open);
      button.setAttribute('aria-expanded', open ? 'true' : 'false');
    }
    button.addEventListener('click', function () {
      set(button.getAttribute('aria-expanded') !== 'true');
    });
    bar.addEventListener('keydown', function (ev) {
      if (ev.key === 'Escape' && button.getAttribute('aria-expanded') === 'true') {
        set(false);
        button.focus();
      }
    });
  }

  function initConfirmForms() {
    document.querySelectorAll('form[data-confirm]').forEach(function (form) {
      form.addEventListener('submit', function (ev) {
        if (!window.confirm(form.dataset.confirm)) ev.preventDefault();
      });
    });
  }

  // Choosing a group or typing OpenIDs selects the matching target radio.
  function initSendForm(form) {
    function pick(value) {
      var radio = form.querySelector('input[name=target][value="' + value + '"]');
      if (radio) radio.checked = true;
    }
    var select = form.querySelector('select[name=group_id]');
    if (select) select.addEventListener('change', function () { pick('group'); });
    var ids = form.querySelector('textarea[name=openids]');
    if (ids) ids.addEventListener('input', function () { pick('openids'); });
  }

  window.qunfaEditor = { sync: syncEditors }; // autosave.js reads the editors through it
  document.addEventListener('DOMContentLoaded', function () {
    initMenu();
    document.querySelectorAll('form[data-testid="draft-form"]').forEach(initDraftForm);
    document.querySelectorAll('form[data-testid="send-form"]').forEach(initSendForm);
    initConfirmForms();
    drawChart();
  });
  document.addEventListener('htmx:afterSettle', drawChart);
})();
