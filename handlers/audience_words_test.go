package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"qunfa/models"
	"qunfa/views/i18n"
	"qunfa/wechat"
)

// With the profile on tags, every page names the audience with the same word: the form's
// choice, the confirmation, the send's page, the history list and the delete confirmation.
func TestTagSendNamedTagOnEveryPage(t *testing.T) {
	for _, lang := range []string{"zh", "en"} {
		t.Run(lang, func(t *testing.T) {
			ta := newTestApp(t)
			ta.setupAndLogin()
			ctx := context.Background()
			profile := models.DefaultProfile(true)
			profile.Audience = models.AudienceTags
			if _, err := ta.svc.UpdateSettings(ctx, models.SettingsChange{Settings: profile}); err != nil {
				t.Fatal(err)
			}
			ta.client.Jar.SetCookies(mustURL(t, ta.srv.URL), []*http.Cookie{{Name: langCookie, Value: lang}})
			draft := ta.createDraft("按标签发送")
			tagWord := i18n.T(lang, "target.tag", "广东") // 标签：广东 / Tag: 广东
			groupWord := strings.TrimSuffix(i18n.T(lang, "target.group", ""), " ")

			form := ta.get("/drafts/" + draft + "/send").doc(t)
			if got := form.Find(`[data-testid=target-group-label]`).Text(); got != i18n.T(lang, "send.target_tag") {
				t.Errorf("form: %q, want %q", got, i18n.T(lang, "send.target_tag"))
			}
			key, _ := form.Find(`input[name=key]`).Attr("value")
			tok, _ := form.Find(`input[name=csrf_token]`).Attr("value")
			fields := url.Values{"csrf_token": {tok}, "key": {key}, "target": {"group"}, "group_id": {"134"}}

			pages := map[string]string{}
			confirm := ta.post("/drafts/"+draft+"/send/confirm", fields)
			pages["confirmation"] = confirm.doc(t).Find(`[data-testid=plan-target]`).Text()
			r := ta.post("/drafts/"+draft+"/send", fields)
			if r.status != http.StatusSeeOther {
				t.Fatalf("send: %d\n%s", r.status, r.body)
			}
			sendPath := r.location
			if err := ta.svc.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			id, _ := strconv.ParseUint(strings.TrimPrefix(sendPath, "/sends/"), 10, 32)
			s, err := ta.svc.Send(ctx, uint(id))
			if err != nil || len(s.Batches) != 1 || s.Batches[0].MsgID == 0 {
				t.Fatalf("send %+v: %v", s, err)
			}
			ev := wechat.Event{ToUserName: "gh_0123456789ab", FromUserName: "oFromUser0001", CreateTime: ta.now.Unix(),
				MsgType: "event", Event: "MASSSENDJOBFINISH", MsgID: s.Batches[0].MsgID, Status: "send success",
				TotalCount: 30, SentCount: 30}
			if r := ta.callback(ev, ta.now, nil); r.status != http.StatusOK {
				t.Fatalf("callback: %d", r.status)
			}
			pages["send page"] = ta.get(sendPath).doc(t).Find(`[data-testid=send-target]`).Text()
			pages["history list"] = ta.get("/sends").doc(t).Find(`tr[data-testid=send-row] td`).Eq(1).Text()
			pages["delete confirmation"] = ta.get(sendPath + "/delete").doc(t).Find(`[data-testid=delete-target]`).Text()
			for page, got := range pages {
				if !strings.Contains(got, tagWord) || strings.Contains(got, groupWord) {
					t.Errorf("%s says %q, want %q", page, strings.TrimSpace(got), tagWord)
				}
			}
		})
	}
}
