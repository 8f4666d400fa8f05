package main

import (
	"context"
	"fmt"
	"net/http/httptrace"
	"sync"
	"time"

	"qunfa/models"
	"qunfa/wechat"
	"qunfa/wechat/protocol"
)

// gateway adapts the protocol client to the small interface models declares,
// so models never imports the protocol package.
type gateway struct{ c *wechat.Client }

// counted passes models' attempt counter (models.AttemptHook) to the client, which marks every
// request it sends, its own retries included: WeChat counts each against the daily quota. An
// attempt is counted once it has a connection to WeChat; one that could not connect (WeChat
// unreachable) reached nothing and is not, so an outage does not drain the meter. The token
// fetch that may come before an attempt is not one.
func counted(ctx context.Context) context.Context {
	f := models.AttemptHook(ctx)
	if f == nil {
		return ctx
	}
	var mu sync.Mutex
	pending := false
	ctx = wechat.WithAttemptHook(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		pending = true
	})
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) {
		mu.Lock()
		p := pending
		pending = false
		mu.Unlock()
		if p {
			f()
		}
	}})
}

var _ models.WeChat = gateway{}

func (g gateway) UploadThumb(ctx context.Context, filename string, data []byte) (string, error) {
	ctx = counted(ctx)
	m, err := g.c.UploadMedia(ctx, "thumb", filename, data)
	return m.MediaID, err
}

// AddThumbMaterial uploads a cover as a permanent material (draft/add takes no other); the
// material's URL is not needed.
func (g gateway) AddThumbMaterial(ctx context.Context, filename string, data []byte) (string, error) {
	ctx = counted(ctx)
	id, _, err := g.c.AddMaterial(ctx, "thumb", filename, data)
	return id, err
}

func (g gateway) UploadImage(ctx context.Context, filename string, data []byte) (string, error) {
	ctx = counted(ctx)
	return g.c.UploadImage(ctx, filename, data)
}

func (g gateway) UploadNews(ctx context.Context, articles []models.NewsArticle) (string, error) {
	ctx = counted(ctx)
	m, err := g.c.UploadNews(ctx, wechatArticles(articles))
	return m.MediaID, err
}

func (g gateway) AddDraft(ctx context.Context, articles []models.NewsArticle) (string, error) {
	ctx = counted(ctx)
	return g.c.AddDraft(ctx, wechatArticles(articles))
}

func wechatArticles(articles []models.NewsArticle) []wechat.Article {
	out := make([]wechat.Article, len(articles))
	for i, a := range articles {
		show := 0
		if a.ShowCoverPic {
			show = 1
		}
		out[i] = wechat.Article{
			ThumbMediaID:     a.ThumbMediaID,
			Author:           a.Author,
			Title:            a.Title,
			ContentSourceURL: a.SourceURL,
			Content:          a.Content,
			Digest:           a.Digest,
			ShowCoverPic:     show,
		}
	}
	return out
}

func (g gateway) SendAll(ctx context.Context, f models.MassFilter, mediaID, clientMsgID string) (models.MassResult, error) {
	ctx = counted(ctx)
	r, err := g.c.SendAll(ctx, wechat.SendAllRequest{
		Filter:      wechat.MassFilter{IsToAll: f.ToAll, GroupID: f.ID, UseTag: f.ByTag},
		Message:     wechat.MassMessage{MsgType: "mpnews", MediaID: mediaID},
		ClientMsgID: clientMsgID,
	})
	return models.MassResult{MsgID: r.MsgID, MsgDataID: r.MsgDataID}, err
}

func (g gateway) SendToOpenIDs(ctx context.Context, openIDs []string, mediaID, clientMsgID string) (models.MassResult, error) {
	ctx = counted(ctx)
	r, err := g.c.Send(ctx, wechat.SendRequest{
		ToUser:      openIDs,
		Message:     wechat.MassMessage{MsgType: "mpnews", MediaID: mediaID},
		ClientMsgID: clientMsgID,
	})
	return models.MassResult{MsgID: r.MsgID, MsgDataID: r.MsgDataID}, err
}

func (g gateway) DeleteMass(ctx context.Context, msgID int64) error {
	ctx = counted(ctx)
	return g.c.DeleteMass(ctx, msgID, 0)
}

func (g gateway) Preview(ctx context.Context, toWXName, toOpenID, mediaID string) (int64, error) {
	ctx = counted(ctx)
	return g.c.Preview(ctx, wechat.PreviewRequest{
		ToUser:   toOpenID,
		ToWXName: toWXName,
		Message:  wechat.MassMessage{MsgType: "mpnews", MediaID: mediaID},
	})
}

func (g gateway) MassStatus(ctx context.Context, msgID int64) (string, error) {
	ctx = counted(ctx)
	return g.c.GetMass(ctx, msgID)
}

func (g gateway) Tags(ctx context.Context) ([]models.Group, error) {
	return audiences(g.c.Tags(counted(ctx)))
}

func (g gateway) Groups(ctx context.Context) ([]models.Group, error) {
	return audiences(g.c.Groups(counted(ctx)))
}

func (g gateway) Followers(ctx context.Context, next string) (models.FollowerPage, error) {
	l, err := g.c.Users(counted(ctx), next)
	return models.FollowerPage{Total: l.Total, OpenIDs: l.OpenIDs, Next: l.NextOpenID}, err
}

func (g gateway) Blacklist(ctx context.Context, begin string) (models.FollowerPage, error) {
	l, err := g.c.Blacklist(counted(ctx), begin)
	return models.FollowerPage{Total: l.Total, OpenIDs: l.OpenIDs, Next: l.NextOpenID}, err
}

func (g gateway) FollowerDetails(ctx context.Context, openIDs []string) ([]models.FollowerInfo, error) {
	list, err := g.c.BatchUserInfo(counted(ctx), openIDs, "")
	if err != nil {
		return nil, err
	}
	out := make([]models.FollowerInfo, len(list))
	for i, u := range list {
		out[i] = models.FollowerInfo{
			OpenID: u.OpenID, Subscribed: u.Subscribe == 1, Language: u.Language,
			GroupID: u.GroupID, TagIDs: u.TagIDs, Remark: u.Remark, Scene: u.SubscribeScene,
		}
		if u.SubscribeTime > 0 {
			out[i].SubscribeTime = time.Unix(u.SubscribeTime, 0)
		}
	}
	return out, nil
}

// audiences turns the 2014 groups or today's tags (the same three fields) into models' Group.
func audiences[T wechat.Group | wechat.Tag](xs []T, err error) ([]models.Group, error) {
	if err != nil {
		return nil, err
	}
	out := make([]models.Group, len(xs))
	for i, x := range xs {
		out[i] = models.Group(x)
	}
	return out, nil
}

// Quota asks openapi/quota/get about one of models' endpoints. An account that keeps no quota for
// it (76021) or may not ask (76022) answers models.ErrQuotaUnanswered.
func (g gateway) Quota(ctx context.Context, endpoint string) (models.QuotaInfo, error) {
	q, err := g.c.Quota(ctx, models.CGIPath(endpoint))
	if e, ok := wechat.AsError(err); ok && (e.Code == protocol.CodeQuotaPathNotFound || e.Code == protocol.CodeQuotaNoPermission) {
		return models.QuotaInfo{}, fmt.Errorf("%w: %w", models.ErrQuotaUnanswered, err)
	}
	if err != nil {
		return models.QuotaInfo{}, err
	}
	return models.QuotaInfo{Endpoint: endpoint, DailyLimit: q.DailyLimit, Used: q.Used, Remain: q.Remain}, nil
}
