package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/wechat"
	"qunfa/wechat/protocol"
)

// callbackVerify answers WeChat's URL verification: echo echostr verbatim
// when the signature matches.
func (a *app) callbackVerify(c *gin.Context) error {
	if wechat.CheckTimestamp(c.Request.URL.Query(), a.now(), protocol.CallbackMaxSkew) != nil {
		a.log.Warn("callback verification refused: timestamp missing or too far from now")
		c.String(http.StatusForbidden, "forbidden")
		return nil
	}
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
// Each push is logged once: at Info when new, at Debug when WeChat repeats it,
// at Warn when refused, not understood or disputed (the request log line of
// the callback is at Debug, middleware.go).
func (a *app) callbackEvent(c *gin.Context) error {
	q := c.Request.URL.Query()
	if wechat.CheckTimestamp(q, a.now(), protocol.CallbackMaxSkew) != nil {
		a.log.Warn("callback refused: timestamp missing or too far from now")
		c.String(http.StatusForbidden, "forbidden")
		return nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxCallbackBytes))
	if err != nil {
		if a.clientGone(c, "read callback body", err) {
			return nil
		}
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
	// Signed: its (timestamp, nonce) pair may carry this body once (callback_replay.go).
	ts, _ := strconv.ParseInt(q.Get("timestamp"), 10, 64)
	nonce := q.Get("nonce")
	switch a.replay.claimShared(c.Request.Context(), a.now(), ts, nonce, body) {
	case replayRetry:
		a.log.Debug("callback repeated with the same timestamp, nonce and body: already handled")
		a.callbackOK(c)
		return nil
	case replayInFlight:
		a.log.Debug("callback repeated while the first delivery is still being handled")
		c.String(http.StatusServiceUnavailable, "busy")
		return nil
	case replayDifferent:
		a.log.Warn("callback refused: its timestamp and nonce were already used with another body (replay)")
		c.String(http.StatusForbidden, "forbidden")
		return nil
	}
	// Handled or not: a pair answered "success" is spent; any other answer lets WeChat retry it.
	defer func() {
		a.replay.settleShared(context.WithoutCancel(c.Request.Context()), ts, nonce, c.Writer.Status() == http.StatusOK)
	}()
	ctx := c.Request.Context()
	ev, err := wechat.ParseEvent(plain)
	if err != nil {
		// Genuine (it was signed) but not understood: keep it for a person to
		// read and answer "success" — refusing would only make WeChat retry
		// the same bytes. Identical bodies are stored once, and only so many
		// are stored per window (callback_budget.go); past that they are counted.
		if ok, refused := a.unparsed.take(a.now(), len(plain)); !ok {
			a.log.Warn("signed callback not understood and over the budget of unparsed pushes: counted, not stored",
				"bytes", len(plain), "refused_in_window", refused)
			a.callbackOK(c)
			return nil
		}
		a.log.Warn("signed callback not understood; stored as is", "err", err)
		if err := a.svc.RecordOtherEvent(ctx, unparsedEvent, bodyDigest(plain), 0, plain); err != nil {
			a.storeFailed(c, "record unparsed callback", err)
			return nil
		}
		a.callbackOK(c)
		return nil
	}
	if ev.MsgType == "event" && ev.Event == protocol.EventMassSendJobFinish {
		a.jobFinished(c, ev, plain)
		return nil
	}
	name := ev.Event
	if name == "" {
		name = ev.MsgType
	}
	if ev.MsgType == "event" && (name == protocol.EventSubscribe || name == protocol.EventUnsubscribe) && ev.FromUserName != "" {
		// Keeps the followers table current between syncs (idempotent under WeChat's retries).
		if err := a.svc.RecordSubscription(ctx, ev.FromUserName, name == protocol.EventSubscribe, time.Unix(ev.CreateTime, 0)); err != nil {
			a.storeFailed(c, "record subscription event", err, "event", name)
			return nil
		}
	}
	// Other events keep their body: it is all there is of them (no columns of their own).
	if err := a.svc.RecordOtherEvent(ctx, name, ev.FromUserName, ev.CreateTime, plain); err != nil {
		a.storeFailed(c, "record callback event", err, "event", name)
		return nil
	}
	a.log.Info("callback event", "event", name)
	a.callbackOK(c)
	return nil
}

// jobFinished records a MASSSENDJOBFINISH once per msg_id. A repeat (WeChat
// retries a push it thinks unanswered) is answered from a read; one whose
// figures differ from the recorded ones is disputed: logged at Warn and its
// body kept under disputedEvent, the first report staying in force. The raw
// body of an ordinary push is not kept: its columns hold all it says.
func (a *app) jobFinished(c *gin.Context, ev wechat.Event, plain []byte) {
	ctx := c.Request.Context()
	push := models.JobFinished{
		MsgID:      ev.MsgID,
		Status:     ev.Status,
		Total:      ev.TotalCount,
		Filter:     ev.FilterCount,
		Sent:       ev.SentCount,
		Error:      ev.ErrorCount,
		CreateTime: ev.CreateTime,
		FromUser:   ev.FromUserName,

		ArticleURLs:    articleURLs(ev.ArticleURLResult),
		CopyrightState: ev.CopyrightCheckResult.CheckState,
	}
	stored, seen, err := a.svc.JobFinishedRecorded(ctx, ev.MsgID)
	if err != nil {
		a.storeFailed(c, "read MASSSENDJOBFINISH", err, "msg_id", ev.MsgID)
		return
	}
	if !seen {
		dup, err := a.svc.RecordJobFinished(ctx, push)
		if err != nil {
			a.storeFailed(c, "record MASSSENDJOBFINISH", err, "msg_id", ev.MsgID)
			return
		}
		if !dup {
			a.log.Info("MASSSENDJOBFINISH", "msg_id", ev.MsgID, "status", ev.Status, "total", ev.TotalCount,
				"sent", ev.SentCount, "error", ev.ErrorCount)
			a.callbackOK(c)
			return
		}
		// A copy delivered at the same moment got in first: compare with it.
		if stored, _, err = a.svc.JobFinishedRecorded(ctx, ev.MsgID); err != nil {
			a.storeFailed(c, "read MASSSENDJOBFINISH", err, "msg_id", ev.MsgID)
			return
		}
	}
	if push.SameOutcome(stored) {
		a.log.Debug("MASSSENDJOBFINISH repeated", "msg_id", ev.MsgID)
		a.callbackOK(c)
		return
	}
	a.log.Warn("MASSSENDJOBFINISH repeated with other figures: the first report stays, this one is kept as disputed and shown on the send's page",
		"msg_id", ev.MsgID, "status", ev.Status, "recorded_status", stored.Status,
		"total", ev.TotalCount, "recorded_total", stored.Total, "sent", ev.SentCount, "recorded_sent", stored.Sent,
		"error", ev.ErrorCount, "recorded_error", stored.Error)
	if err := a.svc.RecordDisputedJob(ctx, push, bodyDigest(plain), plain); err != nil {
		a.storeFailed(c, "record disputed MASSSENDJOBFINISH", err, "msg_id", ev.MsgID)
		return
	}
	a.callbackOK(c)
}

func (a *app) callbackOK(c *gin.Context) {
	c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte("success"))
}

// storeFailed answers 500 so that WeChat retries, unless WeChat has hung up already.
func (a *app) storeFailed(c *gin.Context, what string, err error, attrs ...any) {
	if a.clientGone(c, what, err) {
		return
	}
	a.log.Error(what, append(attrs, "err", err)...)
	c.String(http.StatusInternalServerError, "error")
}

// statusClientClosed is nginx's 499: the client went away before the answer. Nobody reads it;
// the request log does.
const statusClientClosed = 499

// clientGone reports (and answers) a request whose client hung up while it waited: nothing
// failed on our side, WeChat will deliver the push again, so no 500 and no ERROR line.
func (a *app) clientGone(c *gin.Context, what string, err error) bool {
	if c.Request.Context().Err() == nil && !errors.Is(err, context.Canceled) {
		return false
	}
	a.log.Debug("callback abandoned: the client hung up", "step", what, "err", err)
	c.AbortWithStatus(statusClientClosed)
	return true
}

// bodyDigest keys a kept body (identical bodies are stored once).
func bodyDigest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:8])
}

const (
	// unparsedEvent is the event name a signed push that could not be parsed is kept under.
	unparsedEvent = "unparsed"
	// disputedEvent keeps the body of a repeated MASSSENDJOBFINISH whose figures differ from
	// the ones recorded for its msg_id.
	disputedEvent = models.EventJobFinishedDisputed
)

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
