package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// findBrowser returns the system Chromium, or skips (fails when
// QUNFA_REQUIRE_BROWSER=1, as in CI) when there is none.
func findBrowser(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("QUNFA_CHROMIUM"), "/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	msg := "no Chromium found (install Debian's chromium package or set QUNFA_CHROMIUM); browser test skipped"
	if os.Getenv("QUNFA_REQUIRE_BROWSER") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// startApp runs the whole binary in-process on a fresh database with the
// embedded sandbox and returns its URL.
func startApp(t *testing.T, extraEnv map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	env := map[string]string{"QUNFA_DB": filepath.Join(dir, "qunfa.db"), "QUNFA_ADDR": "127.0.0.1:0"}
	for k, v := range extraEnv {
		env[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, envOf(env), io.Discard, io.Discard, ready) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run returned %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("the server did not shut down")
		}
	})
	select {
	case url := <-ready:
		return url
	case err := <-done:
		t.Fatalf("run failed: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not start")
	}
	return ""
}

func newBrowser(t *testing.T, browser string) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser),
		chromedp.NoSandbox,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.WindowSize(1280, 1000),
		chromedp.UserDataDir(t.TempDir()),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

func writeJPEG(t *testing.T, dir, name string, c color.RGBA) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 120, 80))
	for y := 0; y < 80; y++ {
		for x := 0; x < 120; x++ {
			img.Set(x, y, color.RGBA{c.R, uint8(int(c.G) + x/4), uint8(int(c.B) + y/4), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// fillArticle types into article n (0-based) of the editor.
func fillArticle(n int, title, author, body, thumb string) chromedp.Tasks {
	sel := fmt.Sprintf(`fieldset[data-testid=article]:nth-of-type(%d)`, n+1)
	return chromedp.Tasks{
		chromedp.WaitVisible(sel+` input[name$=".title"]`, chromedp.ByQuery),
		chromedp.SendKeys(sel+` input[name$=".title"]`, title, chromedp.ByQuery),
		chromedp.SendKeys(sel+` input[name$=".author"]`, author, chromedp.ByQuery),
		chromedp.SendKeys(sel+` input[name$=".digest"]`, "摘要 "+title, chromedp.ByQuery),
		chromedp.WaitVisible(sel+` .jodit-wysiwyg`, chromedp.ByQuery),
		chromedp.Click(sel+` .jodit-wysiwyg`, chromedp.ByQuery),
		chromedp.SendKeys(sel+` .jodit-wysiwyg`, body, chromedp.ByQuery),
		chromedp.SetUploadFiles(sel+` input[data-testid=thumb-file]`, []string{thumb}, chromedp.ByQuery),
		chromedp.WaitVisible(sel+` img[data-testid=thumb-preview]`, chromedp.ByQuery),
	}
}

// waitText polls until the element's text satisfies ok.
func waitText(ctx context.Context, sel string, ok func(string) bool, timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		var s string
		if err := chromedp.Run(ctx, chromedp.Text(sel, &s, chromedp.ByQuery, chromedp.AtLeast(0))); err == nil {
			last = strings.TrimSpace(s)
			if ok(last) {
				return last, nil
			}
		}
		time.Sleep(300 * time.Millisecond)
	}
	return last, fmt.Errorf("%s: last text %q", sel, last)
}

// TestBrowserJourney is the foundation issue's journey: on a fresh database
// with the sandbox, create the admin, log in, write a two-article draft with
// thumbnails, send it to a group, see the callback's figures arrive without a
// reload, delete the send and see it marked deleted.
func TestBrowserJourney(t *testing.T) {
	browser := findBrowser(t)
	base := startApp(t, nil)
	ctx := newBrowser(t, browser)
	dir := t.TempDir()
	thumb1 := writeJPEG(t, dir, "cover1.jpg", color.RGBA{200, 40, 40, 255})
	thumb2 := writeJPEG(t, dir, "cover2.jpg", color.RGBA{40, 40, 200, 255})

	// First run: create the admin, then log in.
	var loc string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(`[data-testid=setup-submit]`, chromedp.ByQuery),
		chromedp.SendKeys(`input[name=username]`, "admin", chromedp.ByQuery),
		chromedp.SendKeys(`input[name=password]`, "correct horse", chromedp.ByQuery),
		chromedp.Click(`[data-testid=setup-submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`body`, chromedp.ByQuery),
		chromedp.Location(&loc),
	); err != nil {
		t.Fatalf("setup: %v", err)
	}
	if strings.Contains(loc, "/login") {
		if err := chromedp.Run(ctx,
			chromedp.WaitVisible(`[data-testid=login-submit]`, chromedp.ByQuery),
			chromedp.SendKeys(`input[name=username]`, "admin", chromedp.ByQuery),
			chromedp.SendKeys(`input[name=password]`, "correct horse", chromedp.ByQuery),
			chromedp.Click(`[data-testid=login-submit]`, chromedp.ByQuery),
		); err != nil {
			t.Fatalf("login: %v", err)
		}
	}

	// A draft with two articles, each with a cover thumbnail.
	if err := chromedp.Run(ctx,
		chromedp.Navigate(base+"/drafts"),
		chromedp.Click(`a[data-testid=new-draft]`, chromedp.ByQuery),
		chromedp.WaitVisible(`form[data-testid=draft-form]`, chromedp.ByQuery),
		fillArticle(0, "双十一活动预告", "小编", "第一篇正文", thumb1),
		chromedp.Click(`button[data-testid=add-article]`, chromedp.ByQuery),
		fillArticle(1, "会员专享福利", "运营", "第二篇正文", thumb2),
		chromedp.Click(`button[data-testid=save-draft]`, chromedp.ByQuery),
		chromedp.WaitVisible(`tr[data-testid=draft-row]`, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("draft: %v", err)
	}
	var rowText string
	if err := chromedp.Run(ctx, chromedp.Text(`tr[data-testid=draft-row]`, &rowText, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rowText, "双十一活动预告") {
		t.Fatalf("draft row = %q, want the first article's title", rowText)
	}

	// Send it to a group, through the confirmation.
	if err := chromedp.Run(ctx,
		chromedp.Click(`a[data-testid=send-draft]`, chromedp.ByQuery),
		chromedp.WaitVisible(`input[name=target][value=group]`, chromedp.ByQuery),
		chromedp.Click(`input[name=target][value=group]`, chromedp.ByQuery),
		chromedp.SetValue(`select[name=group_id]`, "100", chromedp.ByQuery),
		chromedp.Click(`[data-testid=plan-send]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=plan-calls]`, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("plan: %v", err)
	}
	var planText string
	if err := chromedp.Run(ctx, chromedp.Text(`[data-testid=plan-calls]`, &planText, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(planText, "sendall") || !strings.Contains(planText, "uploadnews") {
		t.Fatalf("plan should list the calls to make, got %q", planText)
	}
	if err := chromedp.Run(ctx,
		chromedp.Click(`[data-testid=confirm-send]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=send-state]`, chromedp.ByQuery),
		chromedp.WaitVisible(`canvas[data-testid=stats-chart]`, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("send: %v", err)
	}

	// The sandbox pushes MASSSENDJOBFINISH a few seconds later; the figures
	// must appear on this page without a reload.
	total, err := waitText(ctx, `td[data-testid=stat-total]`, func(s string) bool { n, err := strconv.Atoi(s); return err == nil && n > 0 }, 60*time.Second)
	if err != nil {
		t.Fatalf("figures never arrived: %v", err)
	}
	var sent, filter, errs string
	if err := chromedp.Run(ctx,
		chromedp.Text(`td[data-testid=stat-sent]`, &sent, chromedp.ByQuery),
		chromedp.Text(`td[data-testid=stat-filter]`, &filter, chromedp.ByQuery),
		chromedp.Text(`td[data-testid=stat-error]`, &errs, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	nt, _ := strconv.Atoi(total)
	ns, _ := strconv.Atoi(strings.TrimSpace(sent))
	nf, _ := strconv.Atoi(strings.TrimSpace(filter))
	ne, _ := strconv.Atoi(strings.TrimSpace(errs))
	if ns == 0 || nf != ns+ne || nf > nt {
		t.Fatalf("figures inconsistent: total %d filter %d sent %d error %d", nt, nf, ns, ne)
	}
	var msgID string
	if err := chromedp.Run(ctx, chromedp.Text(`[data-testid=send-msgid]`, &msgID, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(msgID) == "" {
		t.Fatal("the send page shows no msg_id")
	}

	// Delete, through the confirmation page, and see it marked deleted.
	if err := chromedp.Run(ctx,
		chromedp.Click(`[data-testid=delete-send]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=confirm-delete]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid=confirm-delete]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=send-state]`, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("delete: %v", err)
	}
	state, err := waitText(ctx, `[data-testid=send-state]`, func(s string) bool { return strings.Contains(s, "已删除") }, 20*time.Second)
	if err != nil {
		t.Fatalf("send not marked deleted: %v", err)
	}
	t.Logf("journey done: total=%s sent=%s state=%s", total, sent, state)
}
