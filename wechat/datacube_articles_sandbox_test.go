package wechat_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"qunfa/wechat"
	"qunfa/wechat/protocol"
	"qunfa/wechat/sandbox"
)

// The client and the sandbox agree on getarticletotal and getarticlesummary: the msgid of the
// send's msg_data_id, the published days, the figures, and a range asked one day a call.
func TestArticleStatsAgainstSandbox(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Date(2026, 3, 9, 11, 0, 0, 0, protocol.Beijing)
	c, sb := newSandboxClient(t, sandbox.Config{Followers: 500, Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }})
	thumb, err := c.UploadMedia(ctx, "thumb", "cover.jpg", tinyJPEG())
	if err != nil {
		t.Fatal(err)
	}
	news, err := c.UploadNews(ctx, []wechat.Article{{ThumbMediaID: thumb.MediaID, Title: "头条", Content: "<p>一</p>"},
		{ThumbMediaID: thumb.MediaID, Title: "次条", Content: "<p>二</p>"}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.SendAll(ctx, wechat.SendAllRequest{Filter: wechat.MassFilter{IsToAll: true},
		Message: wechat.MassMessage{MsgType: "mpnews", MediaID: news.MediaID}, ClientMsgID: "stats"})
	if err != nil {
		t.Fatal(err)
	}
	sb.FinishPending()
	job, _ := sb.Job(res.MsgID)

	mu.Lock()
	now = time.Date(2026, 3, 11, 9, 0, 0, 0, protocol.Beijing) // the 9th and the 10th are published
	mu.Unlock()
	// The token issued two days ago has expired: the client fetches another by itself.
	totals, err := c.ArticleTotals(ctx, "2026-03-08", "2026-03-10")
	if err != nil {
		t.Fatal(err)
	}
	if len(totals) != 2 || totals[0].MsgDataID != res.MsgDataID || totals[0].ArticleIdx != 1 || totals[1].ArticleIdx != 2 ||
		totals[0].Title != "头条" || totals[0].RefDate != "2026-03-09" {
		t.Fatalf("totals = %+v (msg_data_id %d)", totals, res.MsgDataID)
	}
	if d := totals[0].Details; len(d) != 2 || d[1].StatDate != "2026-03-10" || d[1].ArticleCounters != sandbox.ArticleStats(job.SentCount, 1, 1) {
		t.Errorf("details = %+v", d)
	}
	if n := sb.Calls("/datacube/getarticletotal"); n != 3 {
		t.Errorf("%d getarticletotal calls for 3 days, want 3", n)
	}
	sums, err := c.ArticleSummaries(ctx, "2026-03-10", "2026-03-10")
	if err != nil || len(sums) != 2 || sums[0].IntPageReadUser != sandbox.ArticleStats(job.SentCount, 1, 1).IntPageReadUser-sandbox.ArticleStats(job.SentCount, 1, 0).IntPageReadUser {
		t.Errorf("summaries = %+v, %v", sums, err)
	}
	if _, err := c.ArticleTotals(ctx, "2026-03-10", "2026-03-09"); err == nil {
		t.Error("a reversed range was asked")
	}
}
