package main

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"qunfa/models"
	"qunfa/wechat"
	"qunfa/wechat/sandbox"
)

// On the wire, today's API profile sends by tag (filter.tag_id) with a
// draft-box media_id (draft/add) — through the real gateway and client to the
// simulator — where the seed's profile used groups and uploadnews. The cover
// goes up once as a permanent material (add_material, which draft/add demands
// and which uses no quota); a mass send takes its draft out of the draft box,
// so every batch gets a draft of its own, and a preview's draft serves the next
// send's first batch. The simulator refuses anything else with 40007.
func TestTodaysProfileOnTheWire(t *testing.T) {
	sim := sandbox.New(sandbox.Config{AppID: "wxfeedfacecafe0003", AppSecret: "sec", Token: "tok", FinishDelay: time.Hour,
		Followers: 20001, Logger: slog.New(slog.DiscardHandler)})
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
	job, ok := sim.Job(msgIDs(s)[0])
	if !ok || job.MsgType != "mpnews" || job.TotalCount != tag.Count {
		t.Fatalf("job = %+v (tag %s has %d followers)", job, tag.Name, tag.Count)
	}
	if arts, ok := sim.News(job.MediaID); !ok || len(arts) != 1 || arts[0].Title != "今日接口" {
		t.Fatalf("the job's news = %+v, %v", arts, ok)
	}

	// A preview makes a draft (the last one was taken); the send to 20 001 OpenIDs that
	// follows uses it for its first batch and makes one draft for each of the two others.
	if _, err := svc.Preview(ctx, models.PreviewInput{DraftID: d.ID, ToOpenID: sim.OpenIDs(sandbox.GroupTest)[0]}, 1); err != nil {
		t.Fatalf("preview: %v", err)
	}
	ids := sim.OpenIDs(sandbox.AllFollowers)
	big, err := svc.StartSend(ctx, models.SendInput{DraftID: d.ID, Target: models.TargetOpenIDs, OpenIDs: strings.Join(ids, "\n"), Key: "big"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if big, err = svc.Send(ctx, big.ID); err != nil || big.State != models.StateSubmitted || len(big.Batches) != 3 || big.Errcode != 0 {
		t.Fatalf("big send: %+v %v", big, err)
	}
	for _, h := range big.History {
		if h.Action == models.HistoryRetrying {
			t.Fatalf("the big send needed a retry: %+v", h)
		}
	}
	calls := map[string]int{}
	for _, p := range []string{"/cgi-bin/material/add_material", "/cgi-bin/media/upload", "/cgi-bin/draft/add", "/cgi-bin/message/mass/send", "/cgi-bin/message/mass/preview"} {
		calls[p] = sim.Calls(p)
	}
	want := map[string]int{"/cgi-bin/material/add_material": 1, "/cgi-bin/media/upload": 0, "/cgi-bin/draft/add": 4,
		"/cgi-bin/message/mass/send": 3, "/cgi-bin/message/mass/preview": 1}
	for p, n := range want {
		if calls[p] != n {
			t.Fatalf("accepted calls %v, want %v (no 40007 and no re-upload)", calls, want)
		}
	}
	seen := map[string]bool{job.MediaID: true}
	for i, id := range msgIDs(big) {
		j, ok := sim.Job(id)
		if !ok || seen[j.MediaID] {
			t.Fatalf("batch %d: job %+v reuses a draft", i, j)
		}
		seen[j.MediaID] = true
		if i == 0 && j.MediaID != sim.Previews()[0].MediaID {
			t.Errorf("the first batch used %q, not the preview's draft", j.MediaID)
		}
	}
	// draft/add and the sends are counted; add_material, uploadimg and the preview are not.
	if left, _ := svc.QuotaLeft(ctx); left != 2 || sim.QuotaLeft() != 2 {
		t.Fatalf("quota left: ours %d, the simulator's %d; want 2 (10 − 4 draft/add − 4 sends)", left, sim.QuotaLeft())
	}
}

// msgIDs lists the msg_id of every batch WeChat accepted.
func msgIDs(s models.Send) []int64 {
	var ids []int64
	for _, b := range s.Batches {
		if b.MsgID != 0 {
			ids = append(ids, b.MsgID)
		}
	}
	return ids
}
