package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/wechat"
	"qunfa/wechat/protocol"
)

// callbackVerify answers WeChat's URL verification: echo echostr verbatim
// when the signature matches.
func (a *app) callbackVerify(c *gin.Context) error {
	echo, ok := a.codec().VerifyURL(c.Request.URL.Query())
	if !ok {
		a.log.Warn("callback verification refused: bad signature")
		c.String(http.StatusForbidden, "forbidden")
		return nil
	}
	c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte(echo))
	return nil
}

// callbackEvent takes an event push. Forged, unsigned or replayed requests
// are refused before anything is stored; a stored event is answered
// "success" so WeChat does not retry. A storage failure answers 500 so it does.
func (a *app) callbackEvent(c *gin.Context) error {
	q := c.Request.URL.Query()
	if wechat.CheckTimestamp(q, a.now(), protocol.CallbackMaxSkew) != nil {
		a.log.Warn("callback refused: timestamp missing or too far from now")
		c.String(http.StatusForbidden, "forbidden")
		return nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxCallbackBytes))
	if err != nil {
		a.log.Warn("callback body unreadable or too large", "err", err)
		c.String(http.StatusRequestEntityTooLarge, "too large")
		return nil
	}
	plain, err := a.codec().Open(q, body)
	if err != nil {
		a.log.Warn("callback refused", "err", err)
		c.String(http.StatusForbidden, "forbidden")
		return nil
	}
	ctx := c.Request.Context()
	ev, err := wechat.ParseEvent(plain)
	if err != nil {
		// Genuine (it was signed) but not understood: keep it for a person to
		// read and answer "success" — refusing would only make WeChat retry
		// the same bytes. Identical bodies are stored once.
		a.log.Warn("signed callback not understood; stored as is", "err", err)
		sum := sha256.Sum256(plain)
		if err := a.svc.RecordOtherEvent(ctx, unparsedEvent, "sha256:"+hex.EncodeToString(sum[:8]), 0, plain); err != nil {
			a.log.Error("record unparsed callback", "err", err)
			c.String(http.StatusInternalServerError, "error")
			return nil
		}
		c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte("success"))
		return nil
	}
	if ev.MsgType == "event" && ev.Event == protocol.EventMassSendJobFinish {
		dup, err := a.svc.RecordJobFinished(ctx, models.JobFinished{
			MsgID:      ev.MsgID,
			Status:     ev.Status,
			Total:      ev.TotalCount,
			Filter:     ev.FilterCount,
			Sent:       ev.SentCount,
			Error:      ev.ErrorCount,
			CreateTime: ev.CreateTime,
			FromUser:   ev.FromUserName,
			Raw:        plain,

			ArticleURLs:    articleURLs(ev.ArticleURLResult),
			CopyrightState: ev.CopyrightCheckResult.CheckState,
		})
		if err != nil {
			a.log.Error("record MASSSENDJOBFINISH", "msg_id", ev.MsgID, "err", err)
			c.String(http.StatusInternalServerError, "error")
			return nil
		}
		a.log.Info("MASSSENDJOBFINISH", "msg_id", ev.MsgID, "status", ev.Status, "duplicate", dup)
	} else {
		name := ev.Event
		if name == "" {
			name = ev.MsgType
		}
		if err := a.svc.RecordOtherEvent(ctx, name, ev.FromUserName, ev.CreateTime, plain); err != nil {
			a.log.Error("record callback event", "event", name, "err", err)
			c.String(http.StatusInternalServerError, "error")
			return nil
		}
	}
	c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte("success"))
	return nil
}

// unparsedEvent is the event name a signed push that could not be parsed is kept under.
const unparsedEvent = "unparsed"

// articleURLs puts ArticleUrlResult in article order (ArticleIdx is 1-based;
// a gap stays empty rather than shifting later articles).
func articleURLs(r wechat.ArticleURLResult) []string {
	var urls []string
	for _, it := range r.ResultList {
		if it.ArticleIdx < 1 || it.ArticleIdx > 64 {
			continue
		}
		for len(urls) < it.ArticleIdx {
			urls = append(urls, "")
		}
		urls[it.ArticleIdx-1] = it.ArticleURL
	}
	return urls
}
