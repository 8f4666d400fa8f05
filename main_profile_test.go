package main

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"qunfa/models"
	"qunfa/wechat"
	"qunfa/wechat/sandbox"
)

// On the wire, today's API profile sends by tag (filter.tag_id) with a
// draft-box media_id (draft/add) — through the real gateway and client to the
// simulator — where the seed's profile used groups and uploadnews.
func TestTodaysProfileOnTheWire(t *testing.T) {
	sim := sandbox.New(sandbox.Config{AppID: "wxfeedfacecafe0003", AppSecret: "sec", Token: "tok", FinishDelay: time.Hour})
	defer sim.Close()
	api := httptest.NewServer(sim)
	defer api.Close()
	ctx := context.Background()
	store := openStore(t)
	if err := store.UseDefaultProfile(ctx, false); err != nil {
		t.Fatal(err)
	}
	client := wechat.NewClient(wechat.Config{BaseURL: api.URL, AppID: "wxfeedfacecafe0003", AppSecret: "sec"})
	svc := models.NewService(store, gateway{client}, models.Rules{}, slog.New(slog.NewTextHandler(io.Discard, nil)))

	tags, byTag, err := svc.Audiences(ctx)
	if err != nil || !byTag || len(tags) == 0 {
		t.Fatalf("tags from the simulator: %v %v %v", tags, byTag, err)
	}
	tag := tags[len(tags)-1]
	var jpg bytes.Buffer
	jpeg.Encode(&jpg, image.NewGray(image.Rect(0, 0, 16, 16)), nil)
	th, err := svc.SaveThumb(ctx, "c.jpg", jpg.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	d, err := svc.SaveDraft(ctx, 0, models.DraftInput{Articles: []models.ArticleInput{{Title: "今日接口", Content: "<p>正文</p>", ThumbID: th.ID}}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	s, err := svc.StartSend(ctx, models.SendInput{DraftID: d.ID, Target: models.TargetGroup, GroupID: tag.ID, Key: "k"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if s, err = svc.Send(ctx, s.ID); err != nil || s.State != models.StateSubmitted {
		t.Fatalf("send: %+v %v", s, err)
	}
	if sim.Calls("/cgi-bin/draft/add") != 1 || sim.Calls("/cgi-bin/media/uploadnews") != 0 {
		t.Fatalf("draft/add %d, uploadnews %d; want 1 and 0", sim.Calls("/cgi-bin/draft/add"), sim.Calls("/cgi-bin/media/uploadnews"))
	}
	job, ok := sim.Job(s.MsgIDs()[0])
	if !ok || job.MsgType != "mpnews" || job.TotalCount != tag.Count {
		t.Fatalf("job = %+v (tag %s has %d followers)", job, tag.Name, tag.Count)
	}
	if arts, ok := sim.News(job.MediaID); !ok || len(arts) != 1 || arts[0].Title != "今日接口" {
		t.Fatalf("the job's news = %+v, %v", arts, ok)
	}
}
