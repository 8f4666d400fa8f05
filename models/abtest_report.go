package models

import (
	"context"
	"fmt"
	"strings"
)

// ReadSource gives how many readers a send's articles had (WeChat's article statistics). ok is
// false while the figures are not there yet.
type ReadSource interface {
	ReadsOfSend(ctx context.Context, sendID uint) (reads int64, ok bool, err error)
}

// ReadsFunc makes a function a ReadSource.
type ReadsFunc func(ctx context.Context, sendID uint) (int64, bool, error)

// ReadsOfSend calls f.
func (f ReadsFunc) ReadsOfSend(ctx context.Context, sendID uint) (int64, bool, error) {
	return f(ctx, sendID)
}

// StatsReads is the running application's ReadSource: readsOfSendFromStats.
func (s *Service) StatsReads() ReadSource { return ReadsFunc(s.readsOfSendFromStats) }

// readsOfSendFromStats is the one place where A/B tests read a send's readers: the readers of
// its first article (the one whose title the test changes), summed over its batches'
// msg_data_id, from WeChat's article statistics (article_stats.go). Not known (ok false) until
// the daily fetch has stored a day of them.
func (s *Service) readsOfSendFromStats(ctx context.Context, sendID uint) (int64, bool, error) {
	send, err := s.Send(ctx, sendID)
	if err != nil {
		return 0, false, err
	}
	stats, err := s.SendReadStats(ctx, send)
	if err != nil || len(stats.Days) == 0 {
		return 0, false, err
	}
	return int64(stats.LeadReaders), true, nil
}

// AB test statuses (catalogue keys): why there is no verdict yet, or that there is one.
const (
	ABStatusSending = "abtest.status.sending" // a half's send is not finished
	ABStatusStopped = "abtest.status.stopped" // a half's send failed, was rejected or deleted unfinished
	ABStatusWaiting = "abtest.status.waiting" // before the time chosen to judge
	ABStatusNoReads = "abtest.status.no_reads"
	ABStatusJudged  = "abtest.status.judged"
)

// ABVariant is one half's figures.
type ABVariant struct {
	Send       Send
	Reads      int64
	ReadsKnown bool
	Rate       float64 // reads / SentCount (0 when nothing was sent)
}

// ABReport is what the test's page shows.
type ABReport struct {
	Test   ABTest
	A, B   ABVariant
	Status string
	Result ZTest // when Status is ABStatusJudged
	// CanSendWinner: a variant won, there is a rest, and the winner has not been sent to it yet.
	CanSendWinner bool
}

// Winner is "A" or "B" when the verdict names one, else "".
func (r ABReport) Winner() string {
	switch {
	case r.Status != ABStatusJudged:
		return ""
	case r.Result.Verdict == VerdictABetter:
		return "A"
	case r.Result.Verdict == VerdictBBetter:
		return "B"
	}
	return ""
}

// ABTestReport gathers test id's sends and reads and judges them once the time has come.
func (s *Service) ABTestReport(ctx context.Context, id uint, reads ReadSource) (_ ABReport, err error) {
	defer wrap(&err, "A/B test %d report", id)
	t, err := s.ABTest(ctx, id)
	if err != nil {
		return ABReport{}, err
	}
	r := ABReport{Test: t}
	if r.A, err = s.abVariant(ctx, t.SendAID, reads); err != nil {
		return r, err
	}
	if r.B, err = s.abVariant(ctx, t.SendBID, reads); err != nil {
		return r, err
	}
	switch {
	case abStopped(r.A.Send) || abStopped(r.B.Send):
		r.Status = ABStatusStopped
	case !abDone(r.A.Send) || !abDone(r.B.Send):
		r.Status = ABStatusSending
	case s.now().Before(t.JudgeAt):
		r.Status = ABStatusWaiting
	case !r.A.ReadsKnown || !r.B.ReadsKnown:
		r.Status = ABStatusNoReads
	default:
		r.Status = ABStatusJudged
		r.Result = TwoProportionZ(r.A.Reads, int64(r.A.Send.Sent), r.B.Reads, int64(r.B.Send.Sent))
	}
	r.CanSendWinner = r.Winner() != "" && t.Rest() >= 2 && t.WinnerSendID == 0
	return r, nil
}

// abDone: WeChat reported the send finished (it may have been deleted since: its reads stand).
func abDone(s Send) bool {
	return s.FinishedAt != nil && (s.State == StateFinished || s.State == StateDeleted)
}

// abStopped: the send will never finish, so the test cannot be judged.
func abStopped(s Send) bool {
	return s.State == StateFailed || s.State == StateRejected || (s.State == StateDeleted && s.FinishedAt == nil)
}

func (s *Service) abVariant(ctx context.Context, sendID uint, reads ReadSource) (ABVariant, error) {
	send, err := s.Send(ctx, sendID)
	if err != nil {
		return ABVariant{}, err
	}
	v := ABVariant{Send: send}
	if !abDone(send) {
		return v, nil
	}
	if v.Reads, v.ReadsKnown, err = reads.ReadsOfSend(ctx, sendID); err != nil {
		return v, err
	}
	if send.Sent > 0 {
		v.Rate = float64(v.Reads) / float64(send.Sent)
	}
	return v, nil
}

// SendABWinner sends the variant that won test id to the rest of its audience (ABRest): an
// OpenID-list send through StartSend, recorded with the test. It is refused (a field error
// "winner") while no variant has won or when no rest is left; a second call returns the send
// the first made.
func (s *Service) SendABWinner(ctx context.Context, id uint, reads ReadSource, operatorID uint) (_ Send, err error) {
	defer wrap(&err, "A/B test %d winner", id)
	r, err := s.ABTestReport(ctx, id, reads)
	if err != nil {
		return Send{}, err
	}
	t := r.Test
	if t.WinnerSendID != 0 {
		return s.Send(ctx, t.WinnerSendID)
	}
	winner := r.Winner()
	if winner == "" {
		return Send{}, fieldError("winner", "err.abtest_no_winner")
	}
	rest, err := s.ABRest(ctx, t)
	if err != nil {
		return Send{}, err
	}
	if len(rest) < 2 {
		return Send{}, fieldError("winner", "err.abtest_no_rest")
	}
	draft := t.DraftAID
	if winner == "B" {
		draft = t.DraftBID
	}
	var send Send
	err = s.store.inTx(ctx, func(ctx context.Context) error {
		if send, err = s.StartSend(ctx, SendInput{DraftID: draft, Target: TargetOpenIDs,
			OpenIDs: strings.Join(rest, "\n"), Key: fmt.Sprintf("abtest-%d-winner", t.ID)}, operatorID); err != nil {
			return err
		}
		// A concurrent second click got the same send from the same key: the row already names it.
		return s.store.db(ctx).Model(&abTestRow{}).Where("id = ? AND winner_send_id = 0", t.ID).
			Updates(map[string]any{"winner": winner, "winner_send_id": send.ID}).Error
	})
	if err != nil {
		return Send{}, err
	}
	s.notify()
	s.log.Info("A/B winner sent to the rest", "abtest_id", t.ID, "winner", winner, "send_id", send.ID, "rest", len(rest))
	return send, nil
}
