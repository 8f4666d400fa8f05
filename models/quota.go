package models

import (
	"context"
	"errors"
	"qunfa/wechat/protocol"
	"sync"
	"time"
)

// Endpoints recorded in quota_calls (the advanced calls WeChat counts).
const (
	EndpointUploadThumb = "media/upload?type=thumb"
	EndpointUploadNews  = "media/uploadnews"
	EndpointAddDraft    = "draft/add"
	EndpointSendAll     = "message/mass/sendall"
	EndpointSend        = "message/mass/send"
	EndpointDelete      = "message/mass/delete"
)

// EndpointAddMaterial is the upload of a cover as a permanent material on the draft path. The
// plan shows it, but it is not an advanced call: no quota row is ever recorded for it.
const EndpointAddMaterial = "material/add_material?type=thumb"

// beijingDay is the WeChat quota day of t.
func beijingDay(t time.Time) string { return protocol.BeijingDay(t) }

// QuotaLeft is today's (Beijing) advanced calls left: the daily quota minus calls made and calls
// reserved by queued sends, and never more than WeChat itself leaves where it reports its count
// per interface (openapi/quota/get, stored by SyncQuota) or refused a call with 45009 today.
//
// This is the nav's meter, limited by every interface WeChat reports (the lowest); a decision
// asks quotaLeftFor with the interfaces it will call, since WeChat counts each one apart.
func (s *Service) QuotaLeft(ctx context.Context) (_ int, err error) {
	defer wrap(&err, "quota left")
	return s.quotaLeftFor(ctx, CountedEndpoints...)
}

// quotaLeftFor is today's calls left for an action that calls these endpoints: Qunfa's own count
// against the daily quota, limited by what WeChat leaves of each of them.
func (s *Service) quotaLeftFor(ctx context.Context, endpoints ...string) (int, error) {
	var n int64
	if err := s.store.db(ctx).Model(&quotaCallRow{}).Where("day = ?", beijingDay(s.now())).Count(&n).Error; err != nil {
		return 0, err
	}
	return s.QuotaLeftCombined(ctx, max(s.rules.DailyQuota-int(n), 0), endpoints...)
}

// countedEndpoints lists the endpoints of the plan's calls that use the daily quota.
func (p Plan) countedEndpoints() []string {
	var eps []string
	for _, c := range p.Calls {
		if !c.Uncounted {
			eps = append(eps, c.Endpoint)
		}
	}
	return eps
}

// useQuota records that a call is being made now (see pipelineStore.UseQuota).
func (s *Service) useQuota(ctx context.Context, sendID uint, endpoint string) error {
	return s.pipe.UseQuota(ctx, sendID, endpoint)
}

// attemptKey carries the hook that counts the requests one call sends to WeChat.
type attemptKey struct{}

// AttemptHook is what the adapter of WeChat (gateway in package main) calls once per request it
// sends to WeChat for the call made with ctx, retries included; nil when nobody counts. The
// client retries a call after a lost answer on its own, and each of those attempts may have
// reached WeChat and used its quota.
func AttemptHook(ctx context.Context) func() {
	f, _ := ctx.Value(attemptKey{}).(func())
	return f
}

// call makes one WeChat call that uses the daily quota at endpoint ("": a call that uses none, made
// as is). The intent (a quota row) is committed before the call, unless the caller committed it
// already (committed: with the batch's state); and one more row before each further attempt the
// client makes (a call retried after a lost answer reached WeChat twice, and WeChat counted both),
// from the hook the client calls before it sends each request. Counting is conservative: every
// attempt sent counts, whatever WeChat answered.
func (s *Service) call(ctx context.Context, sendID uint, endpoint string, committed bool, fn func(ctx context.Context) error) error {
	if endpoint == "" {
		return fn(ctx)
	}
	if !committed {
		if err := s.useQuota(ctx, sendID, endpoint); err != nil {
			return err
		}
	}
	var (
		mu       sync.Mutex
		attempts int
		qerrs    []error
	)
	err := fn(context.WithValue(ctx, attemptKey{}, func() {
		mu.Lock()
		defer mu.Unlock()
		if attempts++; attempts > 1 {
			// Recorded before the request goes out, even during shutdown.
			if qerr := s.useQuota(context.WithoutCancel(ctx), sendID, endpoint); qerr != nil {
				qerrs = append(qerrs, qerr)
			}
		}
	}))
	if ae, ok := asAPIError(err); ok && ae.Errcode() == protocol.CodeDailyQuota {
		// WeChat's own count says this interface is spent for the day, whatever ours says.
		if merr := s.MarkBudgetSpent(context.WithoutCancel(ctx), endpoint); merr != nil {
			err = errors.Join(err, merr)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if attempts == 0 && sendID != 0 && notConnected(err) {
		// No attempt connected: WeChat saw nothing, so the call committed for it goes back to
		// being the send's reservation (an outage's retries do not drain the day's quota).
		if qerr := s.pipe.ReturnQuota(context.WithoutCancel(ctx), sendID, endpoint); qerr != nil {
			qerrs = append(qerrs, qerr)
		}
	}
	if attempts > 1 {
		s.log.Warn("WeChat call retried by the client; each attempt counted", "send_id", sendID, "endpoint", endpoint, "attempts", attempts)
	}
	if len(qerrs) == 0 {
		return err
	}
	return errors.Join(append([]error{err}, qerrs...)...)
}
