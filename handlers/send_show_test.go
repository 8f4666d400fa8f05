package handlers

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"qunfa/models"
	"qunfa/wechat"
)

// What MASSSENDJOBFINISH says beyond the counts reaches the send's page: each
// article's permanent URL, in article order, and the originality verdict.
func TestSendPageShowsArticleURLsAndCopyright(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	sendPath, s := ta.submittedGroupSend("文章链接")
	if ta.get(sendPath).doc(t).Find(`[data-testid=article-urls]`).Length() != 0 {
		t.Fatal("article links shown before the callback")
	}
	ev := wechat.Event{ToUserName: "gh_0123456789ab", FromUserName: "oFromUser0001", CreateTime: ta.now.Unix(),
		MsgType: "event", Event: "MASSSENDJOBFINISH", MsgID: msgIDs(s)[0], Status: "send success",
		TotalCount: 3, FilterCount: 3, SentCount: 3,
		CopyrightCheckResult: wechat.CopyrightCheckResult{CheckState: 2},
		ArticleURLResult: wechat.ArticleURLResult{Count: 2, ResultList: []wechat.ArticleURL{
			{ArticleIdx: 2, ArticleURL: "http://mp.weixin.qq.com/s/SECOND"},
			{ArticleIdx: 1, ArticleURL: "http://mp.weixin.qq.com/s/FIRST"},
		}},
	}
	if r := ta.callback(ev, ta.now, nil); r.status != http.StatusOK {
		t.Fatalf("callback: %d", r.status)
	}
	page := ta.get(sendPath).doc(t)
	var hrefs []string
	page.Find(`[data-testid=article-urls] li a`).Each(func(_ int, a *goquery.Selection) {
		h, _ := a.Attr("href")
		hrefs = append(hrefs, h)
	})
	if len(hrefs) != 2 || hrefs[0] != "http://mp.weixin.qq.com/s/FIRST" || hrefs[1] != "http://mp.weixin.qq.com/s/SECOND" {
		t.Fatalf("article links = %v", hrefs)
	}
	if got := page.Find(`[data-testid=copyright-state]`).Text(); !strings.Contains(got, "转载") {
		t.Errorf("copyright verdict = %q", got)
	}
}

// A batch never called because an earlier one failed is worded from the catalogue, in the page's
// language.
func TestBatchNotSentIsWorded(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	draftID, _ := strconv.ParseUint(ta.createDraft("分批"), 10, 32)
	var ids strings.Builder
	for i := range 10001 {
		fmt.Fprintf(&ids, "oOPENID%020d\n", i)
	}
	ta.wx.massErr = &wechat.Error{Code: 48001, Msg: "api unauthorized"}
	s, err := ta.svc.StartSend(context.Background(), models.SendInput{DraftID: uint(draftID), Target: models.TargetOpenIDs,
		OpenIDs: ids.String(), Key: "two-batches"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := ta.svc.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	page := ta.get(fmt.Sprintf("/sends/%d", s.ID)).doc(t)
	// A failed send is not waiting for WeChat's report.
	if page.Find(`[data-testid=stats-waiting]`).Length() != 0 || page.Find(`[data-testid=stats-none]`).Length() != 1 {
		t.Error("a failed send's figures say they are waiting for WeChat")
	}
	rows := page.Find(`[data-testid=batch-row]`)
	if rows.Length() != 2 || !strings.Contains(rows.Eq(1).Text(), "未发送：之前的步骤已失败") {
		t.Fatalf("batch rows %q, want the second worded as not sent", rows.Text())
	}
}
