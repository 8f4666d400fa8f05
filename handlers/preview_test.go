package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"qunfa/models"
	"qunfa/views/i18n"
	"qunfa/wechat"
	"qunfa/wechat/protocol"
)

// previewForm is what the send page's preview form posts.
func previewForm(tok, kind, to string) url.Values {
	return url.Values{"csrf_token": {tok}, "preview_kind": {kind}, "preview_to": {to}}
}

func TestPreviewNeedsLoginAndCSRF(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	draft := ta.createDraft("预览权限")
	path := "/drafts/" + draft + "/preview"

	anon := ta.newClient()
	if r := ta.postWith(anon, path, previewForm("", "wxname", "qunfa_demo"), nil); r.status != http.StatusForbidden &&
		!(r.status == http.StatusSeeOther && strings.HasPrefix(r.location, "/login")) {
		t.Fatalf("anonymous preview: %d %q", r.status, r.location)
	}
	tok := ta.csrf("/drafts/" + draft + "/send")
	for name, form := range map[string]url.Values{
		"no token":    previewForm("", "wxname", "qunfa_demo"),
		"wrong token": previewForm(tok+"x", "wxname", "qunfa_demo"),
	} {
		if r := ta.post(path, form); r.status != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, r.status)
		}
	}
	if r := ta.postWith(ta.client, path, previewForm(tok, "wxname", "qunfa_demo"), http.Header{"Origin": {"https://evil.example"}}); r.status != http.StatusForbidden {
		t.Errorf("cross-origin: %d, want 403", r.status)
	}
	if len(ta.wx.previewed) != 0 {
		t.Fatalf("previews made without a valid request: %v", ta.wx.previewed)
	}
	if r := ta.post("/drafts/999/preview", previewForm(tok, "wxname", "qunfa_demo")); r.status != http.StatusNotFound {
		t.Errorf("unknown draft: %d, want 404", r.status)
	}
}

func TestPreviewSentRedirectsWithFlash(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	draft := ta.createDraft("预览成功")
	sendPath := "/drafts/" + draft + "/send"

	form := ta.get(sendPath).doc(t)
	if form.Find(`[data-testid=preview-section] input[name=preview_to]`).Length() != 1 ||
		form.Find(`button[data-testid=preview-send]`).Length() != 1 ||
		form.Find(`[data-testid=previews-empty]`).Length() != 1 {
		t.Fatal("the send form lacks the preview section")
	}
	// The send form is intact beside it.
	if form.Find(`form[data-testid=send-form] button[data-testid=plan-send]`).Length() != 1 ||
		form.Find(`form[data-testid=send-form] input[name=preview_to]`).Length() != 0 {
		t.Fatal("the preview form must be a form of its own")
	}
	if _, ok := form.Find(`input[name=preview_kind][value=wxname]`).Attr("checked"); !ok {
		t.Error("WeChat ID should be the default recipient kind")
	}
	tok, _ := form.Find(`form[data-testid=preview-form] input[name=csrf_token]`).Attr("value")

	r := ta.post("/drafts/"+draft+"/preview", previewForm(tok, "wxname", " qunfa_demo "))
	if r.status != http.StatusSeeOther || r.location != sendPath+"#preview" {
		t.Fatalf("preview: %d %q\n%s", r.status, r.location, r.body)
	}
	if len(ta.wx.previewed) != 1 || ta.wx.previewed[0] != "qunfa_demo" {
		t.Fatalf("WeChat previewed %v", ta.wx.previewed)
	}
	page := ta.get(sendPath).doc(t)
	if got := page.Find(`[data-testid=flash]`).Text(); got != "预览已发送到 qunfa_demo，请在微信中查看。" {
		t.Errorf("flash = %q", got)
	}
	rows := page.Find(`[data-testid=previews] tr[data-testid=preview-row]`)
	if rows.Length() != 1 {
		t.Fatalf("%d preview rows", rows.Length())
	}
	if got := rows.Find(`[data-testid=preview-recipient]`).Text(); !strings.Contains(got, "qunfa_demo") || !strings.Contains(got, "微信号") {
		t.Errorf("recipient cell = %q", got)
	}
	if got := rows.Find(`[data-testid=preview-result]`).Text(); !strings.Contains(got, "已发送") || !strings.Contains(got, "3000000001") {
		t.Errorf("result cell = %q", got)
	}
	// Beijing time: the test clock is 10:00 Beijing.
	if got := rows.Find(`[data-testid=preview-at]`).Text(); got != "2024-05-20 10:00:00" {
		t.Errorf("time cell = %q, want Beijing time", got)
	}

	// By OpenID, in English.
	ta.post("/lang", url.Values{"csrf_token": {tok}, "lang": {"en"}, "next": {sendPath}})
	r = ta.post("/drafts/"+draft+"/preview", previewForm(tok, "openid", "oOPENID00000001"))
	if r.status != http.StatusSeeOther {
		t.Fatalf("preview by OpenID: %d\n%s", r.status, r.body)
	}
	page = ta.get(sendPath).doc(t)
	if got := page.Find(`[data-testid=flash]`).Text(); got != "Preview sent to oOPENID00000001; check it in WeChat." {
		t.Errorf("flash = %q", got)
	}
	if n := page.Find(`tr[data-testid=preview-row]`).Length(); n != 2 {
		t.Fatalf("%d preview rows, want 2", n)
	}
	if got := page.Find(`tr[data-testid=preview-row]`).First().Find(`[data-testid=preview-recipient]`).Text(); !strings.Contains(got, "OpenID") {
		t.Errorf("newest row = %q, want the OpenID preview first", got)
	}
}

func TestPreviewRefusedRerendersAtTheField(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	draft := ta.createDraft("预览校验")
	tok := ta.csrf("/drafts/" + draft + "/send")
	cases := []struct {
		name, kind, to, want string
	}{
		{"empty", "wxname", "", "请填写预览接收人"},
		{"bad WeChat ID", "wxname", "13800138000", "微信号格式不正确"},
		{"bad OpenID", "openid", "o1,o2", "OpenID 格式不正确"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := ta.post("/drafts/"+draft+"/preview", previewForm(tok, tc.kind, tc.to))
			if r.status != http.StatusUnprocessableEntity {
				t.Fatalf("%d, want 422", r.status)
			}
			d := r.doc(t)
			fe := d.Find(`[data-testid=preview-section] [data-testid=field-error][data-field=preview_to]`)
			if !strings.Contains(fe.Text(), tc.want) {
				t.Fatalf("field error = %q, want %q", fe.Text(), tc.want)
			}
			if v, _ := d.Find(`input[name=preview_to]`).Attr("value"); v != tc.to {
				t.Errorf("recipient not kept: %q", v)
			}
			if _, ok := d.Find(`input[name=preview_kind][value=` + tc.kind + `]`).Attr("checked"); !ok {
				t.Errorf("kind %s not kept", tc.kind)
			}
			if k, _ := d.Find(`form[data-testid=send-form] input[name=key]`).Attr("value"); k == "" {
				t.Error("the send form lost its key")
			}
		})
	}
	if len(ta.wx.previewed) != 0 {
		t.Fatalf("refused recipients reached WeChat: %v", ta.wx.previewed)
	}
}

// WeChat's refusal is recorded, explained on the page (422) and listed.
func TestPreviewWeChatRefusalIsExplained(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	draft := ta.createDraft("预览被拒")
	tok := ta.csrf("/drafts/" + draft + "/send")
	ta.wx.previewErr = &wechat.Error{Code: protocol.CodeAPIUnauthorized, Msg: "api unauthorized rid: 6789-abc"}

	r := ta.post("/drafts/"+draft+"/preview", previewForm(tok, "wxname", "qunfa_demo"))
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("%d, want 422\n%s", r.status, r.body)
	}
	d := r.doc(t)
	if got := d.Find(`[data-testid=preview-error]`).Text(); !strings.Contains(got, "48001") ||
		!strings.Contains(got, i18n.T("zh", "errcode.48001")) || !strings.Contains(got, i18n.T("zh", "errcode.48001.action")) {
		t.Fatalf("explanation = %q", got)
	}
	row := d.Find(`tr[data-testid=preview-row]`)
	if row.Length() != 1 || row.AttrOr("data-ok", "") != "false" || !strings.Contains(row.Find(`[data-testid=preview-result]`).Text(), "48001") {
		t.Fatalf("the refused preview is not listed: %q", row.Text())
	}
}

// Uploads beyond today's quota are refused before any call (422, at the preview form).
func TestPreviewQuotaExceeded(t *testing.T) {
	ta := newTestAppWithRules(t, models.Rules{DailyQuota: 1}) // the preview needs a thumb and a news upload
	ta.setupAndLogin()
	draft := ta.createDraft("配额不足")
	tok := ta.csrf("/drafts/" + draft + "/send")
	r := ta.post("/drafts/"+draft+"/preview", previewForm(tok, "wxname", "qunfa_demo"))
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("%d, want 422", r.status)
	}
	d := r.doc(t)
	if got := d.Find(`[data-testid=field-error][data-field=preview]`).Text(); !strings.Contains(got, "剩余调用次数不足") {
		t.Fatalf("quota message = %q", got)
	}
	if d.Find(`tr[data-testid=preview-row]`).Length() != 0 || len(ta.wx.previewed) != 0 {
		t.Fatal("a preview was made without the quota for its uploads")
	}
	sel := d.Find(`[data-testid=quota-left]`)
	if !strings.Contains(sel.Text(), "1/1") {
		t.Errorf("quota left = %q, want untouched", sel.Text())
	}
}
