package main

import (
	"context"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// srcdoc is what the phone preview's sandboxed iframe shows now.
const srcdocJS = `(document.querySelector('[data-testid=preview-frame]').getAttribute('srcdoc') || '')`

// frameJS is the text the preview's iframe shows now (its document keeps this site's origin).
const frameJS = `(function () { var d = document.querySelector('[data-testid=preview-frame]').contentDocument; return d && d.body ? d.body.innerText : ''; })()`

// waitJS polls a JavaScript expression until it is true.
func waitJS(expr string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(15*time.Second))(ctx, t)
		return chromedp.Void{}, err
	}
}

// runJS runs a JavaScript expression as a step.
func runJS(expr string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Evaluate[bool]("(function () { "+expr+"; return true; })()")(ctx, t)
		return chromedp.Void{}, err
	}
}

// readmeShot saves the viewport at 1280 CSS px drawn at 0.75 (a 960 px PNG, small enough for
// the README) as readme-NAME.png when QUNFA_E2E_ARTIFACTS names a folder; the README's copies
// in static/screenshots come from here.
func readmeShot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("QUNFA_E2E_ARTIFACTS")
	if dir == "" {
		return
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900, chromedp.EmulateScale(0.75)), chromedp.Sleep(700*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "readme-"+name+".png"), png, 0o644)
	if _, err := chromedp.Run(ctx, chromedp.EmulateReset()); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserEditorPreview: type into a new draft and see the phone preview follow (title and
// content in the iframe, the card and the article page, the digest WeChat fills in); hit each
// limit and see its message at the field before saving; the iframe is sandboxed with no
// permission. Screenshots: editor-preview-card, editor-preview-article, editor-limits.
func TestBrowserEditorPreview(t *testing.T) {
	browser := findBrowser(t)
	base := startApp(t, map[string]string{"QUNFA_ADMIN_USER": "admin", "QUNFA_ADMIN_PASSWORD": "password123"})
	ctx := newBrowser(t, browser)
	thumb := writeJPEG(t, t.TempDir(), "cover.jpg", color.RGBA{200, 90, 40, 255})

	do(t, ctx, "editor with its preview",
		logIn(base, "admin", "password123"),
		chromedp.Navigate(base+"/drafts/new"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=preview-frame]`)),
	)
	sandboxAttr, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid=preview-frame]').getAttribute('sandbox')`))
	if err != nil || sandboxAttr != "allow-same-origin" {
		t.Fatalf("iframe sandbox = %q (%v), want allow-same-origin alone (no script)", sandboxAttr, err)
	}
	do(t, ctx, "type a title and content",
		chromedp.SendKeys(chromedp.CSS(`input[name$=".title"]`), "春季新品发布"),
		waitJS(srcdocJS+`.includes('春季新品发布')`),
		chromedp.Click(chromedp.CSS(`.jodit-wysiwyg`)),
		chromedp.SendKeys(chromedp.CSS(`.jodit-wysiwyg`), "今年春天我们带来三款新品，欢迎到店体验。"),
		waitJS(srcdocJS+`.includes('今年春天我们带来三款新品')`),
		chromedp.SetUploadFiles(chromedp.CSS(`input[data-testid=thumb-file]`), []string{thumb}),
		chromedp.WaitVisible(chromedp.CSS(`img[data-testid=thumb-preview]`)),
		waitJS(srcdocJS+`.includes('/thumbs/')`),
		// Shown, not only sent: the frame's text, and the cover loaded in it.
		waitJS(frameJS+`.includes('春季新品发布') && `+frameJS+`.includes('今年春天我们带来三款新品')`),
		waitJS(`(function () { var d = document.querySelector('[data-testid=preview-frame]').contentDocument;
			var img = d && d.querySelector('img.cover-large'); return !!img && img.complete && img.naturalWidth > 0; })()`),
	)
	// The card shows the digest WeChat fills in from the content, and the empty digest field says
	// so: the sandbox's profile is the seed's (uploadnews), whose fill is 64 characters.
	doc, _ := chromedp.Run(ctx, chromedp.Evaluate[string](srcdocJS))
	if !strings.Contains(doc, `data-card="single"`) || !strings.Contains(doc, `class="card-digest">今年春天我们带来三款新品`) {
		t.Fatalf("card preview lacks the single card or the filled digest:\n%s", doc)
	}
	placeholder, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('textarea[name$=".digest"]').placeholder`))
	if !strings.Contains(placeholder, "今年春天我们带来三款新品") || !strings.Contains(placeholder, "64") {
		t.Errorf("digest placeholder = %q, want the filled digest and its length", placeholder)
	}
	shot(t, ctx, "editor-preview-card")
	readmeShot(t, ctx, "editor-preview-card")

	do(t, ctx, "article page",
		chromedp.Click(chromedp.CSS(`[data-testid=preview-view-article]`)),
		waitJS(srcdocJS+`.includes('data-preview-content')`),
		chromedp.SendKeys(chromedp.CSS(`input[name$=".author"]`), "小编"),
		chromedp.SendKeys(chromedp.CSS(`input[name$=".source_url"]`), "https://example.com/spring"),
		waitJS(srcdocJS+`.includes('https://example.com/spring') && `+srcdocJS+`.includes('<span>小编</span>')`),
		waitJS(frameJS+`.includes('阅读原文') && `+frameJS+`.includes('小编')`),
	)
	doc, _ = chromedp.Run(ctx, chromedp.Evaluate[string](srcdocJS))
	for _, want := range []string{"春季新品发布", "今年春天我们带来三款新品", "阅读原文", "本公众号", "script-src"} {
		if !strings.Contains(doc, want) {
			t.Errorf("article preview lacks %q", want)
		}
	}
	shot(t, ctx, "editor-preview-article")
	readmeShot(t, ctx, "editor-preview-article")

	// Each limit, at its field, before any save.
	limit := func(field, value string) {
		t.Helper()
		sel := `[name$=".` + field + `"]`
		do(t, ctx, "limit "+field,
			runJS(`document.querySelector('`+sel+`').value = ''`),
			chromedp.SendKeys(chromedp.CSS(sel), value),
			chromedp.SendKeys(chromedp.CSS(sel), kb.Tab),
			waitJS(`document.querySelector('`+sel+`').getAttribute('aria-invalid') === 'true'`),
		)
	}
	checkMsg := func(field, counter, msg string) {
		t.Helper()
		sel := `[name$=".` + field + `"]`
		got, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(function () {
			var el = document.querySelector('`+sel+`');
			return (el.getAttribute('aria-describedby') || '').split(' ').map(function (id) {
				var e = document.getElementById(id); return e && !e.hidden ? e.textContent : ''; });
		})()`))
		if len(got) != 2 || got[0] != counter || !strings.Contains(got[1], msg) {
			t.Errorf("%s: counter and message = %q, want %q and %q", field, got, counter, msg)
		}
	}
	limit("title", strings.Repeat("标", 65))
	checkMsg("title", "65/64", "标题不能超过 64 个字")
	limit("author", "作者的名字有九个字")
	checkMsg("author", "9/8", "作者名不能超过 8 个字")
	limit("digest", strings.Repeat("摘", 121))
	checkMsg("digest", "121/120", "摘要不能超过 120 个字")
	limit("source_url", "www.qq.com")
	checkMsg("source_url", "", "http://")
	do(t, ctx, "scroll to the top", runJS(`window.scrollTo(0, 0)`), chromedp.Sleep(600*time.Millisecond))
	shot(t, ctx, "editor-limits")
	readmeShot(t, ctx, "editor-limits")
	// Content: set through the editor (typing 20,000 characters would take minutes).
	do(t, ctx, "limit content",
		runJS(`(function () {
			var ta = document.querySelector('textarea[name$=".content"]');
			var all = window.Jodit.instances;
			Object.keys(all).forEach(function (k) { if (all[k].element === ta) all[k].value = '<p>' + 'a'.repeat(20000) + '</p>'; });
			return true;
		})()`),
		waitJS(`document.querySelector('textarea[name$=".content"]').getAttribute('aria-invalid') === 'true'`),
	)
	checkMsg("content", "20,007/20,000", "正文须少于 20,000 个字符")

	// The cover: a PNG, then a JPEG over 64 KB, are refused at the field before any upload.
	dir := t.TempDir()
	png := filepath.Join(dir, "cover.png")
	big := filepath.Join(dir, "big.jpg")
	os.WriteFile(png, []byte("\x89PNG\r\n\x1a\n"), 0o600)
	os.WriteFile(big, append([]byte{0xFF, 0xD8, 0xFF}, make([]byte, 70<<10)...), 0o600)
	thumbErr := `document.querySelector('[data-thumb-error]').textContent`
	thumbID := `document.querySelector('[data-thumb-id]').value`
	before, _ := chromedp.Run(ctx, chromedp.Evaluate[string](thumbID))
	do(t, ctx, "cover type",
		chromedp.SetUploadFiles(chromedp.CSS(`input[data-testid=thumb-file]`), []string{png}),
		waitJS(thumbErr+`.includes('JPG')`),
		chromedp.SetUploadFiles(chromedp.CSS(`input[data-testid=thumb-file]`), []string{big}),
		waitJS(thumbErr+`.includes('64 KB')`),
	)
	if after, _ := chromedp.Run(ctx, chromedp.Evaluate[string](thumbID)); after != before || before == "" {
		t.Errorf("cover id %q → %q: a refused cover was uploaded", before, after)
	}
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasSuffix(loc, "/drafts/new") {
		t.Fatalf("the limits were shown by a save: at %s", loc)
	}
	// Script in the content never runs in the preview, nor reaches it.
	do(t, ctx, "script in content",
		runJS(`(function () {
			var ta = document.querySelector('textarea[name$=".content"]');
			var all = window.Jodit.instances;
			Object.keys(all).forEach(function (k) { if (all[k].element === ta) all[k].value =
				'<p>安全</p><img src="/nope" onerror="parent.__pwned = 1"><script>parent.__pwned = 2</script>'; });
			return true;
		})()`),
		waitJS(frameJS+`.includes('安全')`),
		chromedp.Sleep(500*time.Millisecond),
	)
	doc, _ = chromedp.Run(ctx, chromedp.Evaluate[string](srcdocJS))
	pwned, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__pwned !== undefined`))
	if pwned || strings.Contains(doc, "onerror") || strings.Contains(doc, "__pwned") {
		t.Fatalf("script reached the preview (ran: %v):\n%s", pwned, doc)
	}

	// Back under each limit, the messages go.
	do(t, ctx, "fixed",
		runJS(`document.querySelector('[name$=".title"]').value = ''`),
		chromedp.SendKeys(chromedp.CSS(`[name$=".title"]`), "短标题"),
		waitJS(`!document.querySelector('[name$=".title"]').hasAttribute('aria-invalid')`),
	)
	checkMsg("title", "3/64", "")
}

// TestBrowserEditorKeyboard: the editor and its preview with the keyboard alone — Tab reaches
// every control (the editor's fields, the preview's view switch and hide button), each with a
// visible focus; Enter hides the preview, which stays hidden after a reload (localStorage) and
// shows again with the keyboard. At 1280 px nothing scrolls sideways with the preview shown.
func TestBrowserEditorKeyboard(t *testing.T) {
	browser := findBrowser(t)
	base := startApp(t, map[string]string{"QUNFA_ADMIN_USER": "admin", "QUNFA_ADMIN_PASSWORD": "password123"})
	ctx := newBrowser(t, browser)

	do(t, ctx, "editor",
		logIn(base, "admin", "password123"),
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(base+"/drafts/new"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=preview-frame]`)),
		chromedp.Focus(chromedp.CSS(`input[name$=".title"]`)),
	)
	wide, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > document.documentElement.clientWidth`))
	if wide {
		t.Errorf("at 1280 px the editor with its preview scrolls sideways")
	}
	// Tab until the hide button has the focus, noting what is reached on the way.
	seen := map[string]bool{}
	reached := false
	for i := 0; i < 120 && !reached; i++ {
		if _, err := chromedp.Run(ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
			t.Fatal(err)
		}
		id, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(function () {
			var e = document.activeElement;
			return e.getAttribute('data-testid') || e.name || e.getAttribute('aria-label') || e.tagName;
		})()`))
		seen[id] = true
		reached = id == "preview-toggle"
	}
	for _, want := range []string{"articles[0].author", "articles[0].digest", "articles[0].source_url", "thumb-file", "add-article", "save-draft", "preview-toggle"} {
		if !seen[want] {
			t.Errorf("Tab never reached %s (reached %v)", want, seen)
		}
	}
	outline, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.activeElement).outlineStyle`))
	if outline == "none" || outline == "" {
		t.Errorf("the focused hide button shows no outline (%q)", outline)
	}
	do(t, ctx, "hide with Enter",
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitNotVisible(chromedp.CSS(`[data-testid=preview-frame]`)),
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=preview-toggle]`)),
	)
	shot(t, ctx, "editor-preview-hidden")
	if vis, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`!document.querySelector('[data-preview-body]').hidden`)); vis {
		t.Fatalf("the hidden preview came back after a reload")
	}
	do(t, ctx, "show with the keyboard",
		chromedp.Focus(chromedp.CSS(`[data-testid=preview-toggle]`)),
		chromedp.KeyEvent(" "),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=preview-frame]`)),
		chromedp.KeyEvent(kb.Tab),
	)
	if id, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.getAttribute('data-testid') || ''`)); id != "preview-view-card" {
		t.Errorf("after the toggle, Tab reaches %q, want the view switch", id)
	}
	do(t, ctx, "switch view with the keyboard",
		chromedp.KeyEvent(kb.Tab),
		chromedp.KeyEvent(kb.Enter),
		waitJS(`document.querySelector('[data-testid=preview-view-article]').getAttribute('aria-pressed') === 'true'`),
		waitJS(srcdocJS+`.includes('data-preview-content')`),
	)
}
