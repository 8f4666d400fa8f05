package main

import (
	"context"
	"fmt"
	"image/color"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// contentOf reads the first article's stored content as the editor page loads it.
const firstContent = `document.querySelector('textarea[name="articles[0].content"]').value`

// reopenUntil opens path in ctx until the first article's content satisfies ok (a beacon may
// land a moment after the page that sent it is gone).
func reopenUntil(t *testing.T, ctx context.Context, stage, path string, ok func(string) bool) string {
	t.Helper()
	start := time.Now()
	defer func() { t.Logf("%s: %v", stage, time.Since(start).Round(time.Millisecond)) }()
	var last string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		do(t, ctx, stage, chromedp.Navigate(path), chromedp.WaitReady(chromedp.CSS(`form[data-testid=draft-form] .jodit-wysiwyg`)))
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](firstContent))
		if err != nil {
			t.Fatal(err)
		}
		if last = s; ok(s) {
			return s
		}
	}
	t.Fatalf("%s: content %q", stage, last)
	return ""
}

// insertText types into the first article's editor from script: a tab behind another gets no
// animation frames, which the mouse and keyboard actions wait for.
func insertText(text string) chromedp.Action[chromedp.Void] {
	return evalVoid(`(() => { const e = document.querySelector('fieldset[data-testid=article]:nth-of-type(1) .jodit-wysiwyg');
		e.focus(); const r = document.createRange(); r.selectNodeContents(e); r.collapse(false);
		const s = getSelection(); s.removeAllRanges(); s.addRange(r); document.execCommand('insertText', false, '` + text + `'); })()`)
}

func typeInEditor(text string) chromedp.Action[chromedp.Void] {
	sel := `fieldset[data-testid=article]:nth-of-type(1) .jodit-wysiwyg`
	return chromedp.Steps(chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)), chromedp.SendKeys(chromedp.CSS(sel), text))
}

// TestBrowserAutosave (issue 10 §3): a new draft saves itself and moves to its own URL with
// "saved at" shown; text typed just before navigating away, or before the tab is closed, is on
// the server when the draft is opened again; two tabs on one draft conflict and the second is
// told, with each choice working; an earlier version is restored.
func TestBrowserAutosave(t *testing.T) {
	browser := findBrowser(t)
	base := startApp(t, map[string]string{"QUNFA_ADMIN_USER": "admin", "QUNFA_ADMIN_PASSWORD": "password123"})
	ctx := newBrowser(t, browser)
	thumb := writeJPEG(t, t.TempDir(), "a.jpg", color.RGBA{200, 0, 0, 255})
	saved := func(s string) bool { return strings.HasPrefix(s, "已保存 ") }

	do(t, ctx, "new draft",
		logIn(base, "admin", "password123"),
		chromedp.Navigate(base+"/drafts/new"),
		fillArticle(0, "自动保存", "作者", "第一句。", thumb),
	)
	if s, err := waitText(ctx, `[data-testid=autosave-status]`, saved, 20*time.Second); err != nil {
		t.Fatalf("no 'saved at' after typing: %v (%s)", err, s)
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	u, _ := url.Parse(loc)
	if !regexp.MustCompile(`^/drafts/\d+$`).MatchString(u.Path) {
		t.Fatalf("after the first autosave the page is at %s; want /drafts/N", u.Path)
	}
	draft := base + u.Path
	if action, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('form[data-testid=draft-form]').getAttribute('action')`)); action != u.Path {
		t.Fatalf("the form still posts to %q", action)
	}
	shot(t, ctx, "autosave-saved")

	// Navigate away a moment after typing, before the debounce: the page's exit saves it.
	do(t, ctx, "type and leave", typeInEditor("离开前的字。"), chromedp.Navigate(base+"/drafts"), chromedp.WaitReady(chromedp.CSS(`[data-testid=drafts-table]`)))
	reopenUntil(t, ctx, "reopen after leaving", draft, func(s string) bool { return strings.Contains(s, "离开前的字") })

	// Close a tab mid-edit.
	tab, closeTab := chromedp.NewContext(ctx)
	do(t, tab, "second tab", chromedp.Navigate(draft), chromedp.WaitReady(chromedp.CSS(`form[data-testid=draft-form] .jodit-wysiwyg`)), insertText("关标签前的字。"))
	closeTab()
	reopenUntil(t, ctx, "reopen after closing", draft, func(s string) bool { return strings.Contains(s, "关标签前的字") })

	// Two editors on the same draft: A saves, B (on the revision it opened) is told and keeps its
	// own. B is a second browser (a second window of its own): a tab behind another one gets no
	// animation frames, and headless Chromium stalls it.
	tabB := newBrowser(t, browser)
	do(t, tabB, "tab B opens", logIn(base, "admin", "password123"), chromedp.Navigate(draft),
		chromedp.WaitReady(chromedp.CSS(`form[data-testid=draft-form] .jodit-wysiwyg`)))
	do(t, ctx, "tab A edits", typeInEditor("甲改。"))
	if _, err := waitText(ctx, `[data-testid=autosave-status]`, saved, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	do(t, tabB, "tab B edits", typeInEditor("乙改。"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=autosave-conflict]`)))
	warning, _ := text(tabB, `[data-testid=autosave-conflict] [data-conflict-text]`)
	if !strings.Contains(warning, "已在别处被修改") || !strings.Contains(warning, "admin") {
		t.Fatalf("tab B's warning = %q", warning)
	}
	shot(t, tabB, "autosave-conflict")
	do(t, tabB, "keep mine", chromedp.Click(chromedp.CSS(`[data-testid=autosave-overwrite]`)), chromedp.WaitNotVisible(chromedp.CSS(`[data-testid=autosave-conflict]`)))
	if _, err := waitText(tabB, `[data-testid=autosave-status]`, saved, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	// Now A is behind: its next change is refused, and it loads B's version.
	do(t, ctx, "tab A edits again", typeInEditor("甲再改。"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=autosave-conflict]`)))
	do(t, ctx, "load theirs", clickLoad(`[data-testid=autosave-reload]`)) // the page reloads itself: wait, or the next navigation races it
	got := reopenUntil(t, ctx, "after load theirs", draft, func(s string) bool { return strings.Contains(s, "乙改") })
	if strings.Contains(got, "甲再改") {
		t.Fatalf("tab A's refused change was saved: %q", got)
	}
	if hidden, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('[data-testid=autosave-restore]').hidden`)); !hidden {
		t.Fatal("after loading theirs, the dropped change is offered back")
	}

	// The versions: restore the first (before anything typed after it).
	do(t, ctx, "versions", chromedp.Navigate(draft+"/versions"), chromedp.WaitVisible(chromedp.CSS(`tr[data-testid=version-row]`)))
	shot(t, ctx, "versions")
	n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('tr[data-testid=version-row]').length`))
	if n < 3 {
		t.Fatalf("%d versions listed; want at least 3", n)
	}
	do(t, ctx, "view the first version",
		clickLoad(`tr[data-testid=version-row]:last-child a[data-testid=view-version]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=version-content]`)),
	)
	// The first page's autosaves (its first save and the one on leaving) are one version.
	if s, _ := text(ctx, `[data-testid=version-content]`); !strings.Contains(s, "第一句") || strings.Contains(s, "关标签前的字") {
		t.Fatalf("first version shows %q", s)
	}
	shot(t, ctx, "version")
	do(t, ctx, "restore",
		evalVoid(`window.confirm = () => true`),
		clickLoad(`[data-testid=restore-version]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)),
	)
	got, _ = chromedp.Run(ctx, chromedp.Evaluate[string](firstContent))
	if !strings.Contains(got, "第一句") || strings.Contains(got, "关标签前的字") || strings.Contains(got, "乙改") {
		t.Fatalf("after restoring the first version the content is %q", got)
	}
	loc, _ = chromedp.Run(ctx, chromedp.Location())
	if want := draft; loc != want {
		t.Fatalf("restore went to %s; want %s", loc, want)
	}
}

// seedVersions makes a draft of TestLayout's with a version history: saved, changed twice (a
// longer title each time), then its first version restored.
func seedVersions(c *seedClient, thumb string) uint {
	c.t.Helper()
	id := c.draft(3, thumb, layoutTitles)
	path := fmt.Sprintf("/drafts/%d", id)
	for i, title := range []string{layoutTitles[1], longLatinTitle} {
		form := url.Values{}
		for a := range 3 {
			f := func(k string) string { return fmt.Sprintf("articles[%d].%s", a, k) }
			form.Set(f("title"), title)
			form.Set(f("content"), "<p>"+strings.Repeat("修改后的正文。", 40*(i+1))+"</p>")
			form.Set(f("thumb_id"), thumb)
		}
		if res := c.post(path, form); res.StatusCode != 303 {
			c.t.Fatalf("seed: versions: save %d answered %d", i, res.StatusCode)
		}
	}
	list := c.get(path + "/versions")
	m := regexp.MustCompile(`action="(/drafts/\d+/versions/\d+/restore)"`).FindAllStringSubmatch(list, -1)
	if len(m) < 2 {
		c.t.Fatalf("seed: versions: %d restore forms", len(m))
	}
	if res := c.post(m[len(m)-1][1], url.Values{}); res.StatusCode != 303 {
		c.t.Fatalf("seed: versions: restore answered %d", res.StatusCode)
	}
	return id
}
