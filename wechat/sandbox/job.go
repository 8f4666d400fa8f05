package sandbox

import (
	"strconv"
	"time"
)

const (
	statusSendSuccess = "send success"
	statusSendFail    = "send fail"
)

// job is one submitted mass message. Its outcome is decided when it is accepted (WeChat
// snapshots the audience then) and becomes visible FinishDelay later: mass/get turns from
// SENDING to SEND_SUCCESS/SEND_FAIL and MASSSENDJOBFINISH is pushed.
type job struct {
	msgID, msgDataID int64
	msg              message
	submittedAt      time.Time
	total            int // the audience: group members, everyone, or the OpenID list
	filter           int // prepared for sending = sent + errors
	sent             int
	errors           int // refusers: prepared but not delivered
	urls             []string
	finished         bool
	deleted          bool
	deletedArticles  map[int]bool
	timer            *time.Timer
	review           int // FailReviewNext: the err(N) it finishes with; 0 = passed review
}

func (j *job) status() string {
	if j.review != 0 {
		return "err(" + strconv.Itoa(j.review) + ")"
	}
	if j.sent > 0 {
		return statusSendSuccess
	}
	return statusSendFail
}

// newJob decides who receives the message, records the month's deliveries and schedules
// the finish. The counting rule (documented in doc.go):
//   - TotalCount: every follower in the audience;
//   - ErrorCount: blacklisted followers (黑名单, group 1) and others who refuse mass
//     messages, followers who already had MonthlyCap mass messages this Beijing month
//     (not delivered; counted as errors, as the foundation issue asks), and listed OpenIDs
//     of followers who have left;
//   - SentCount: the rest, each of whom now has one more message this month.
//
// So FilterCount = SentCount + ErrorCount = TotalCount. Caller holds s.mu.
func (s *Server) newJob(audience []int, msg message, now time.Time) *job {
	j := &job{
		msgID:           s.nextMsgID,
		msg:             msg,
		submittedAt:     now,
		total:           len(audience),
		deletedArticles: map[int]bool{},
	}
	s.nextMsgID++
	if msg.kind == "mpnews" {
		j.msgDataID = s.nextDataID
		s.nextDataID++
		for range msg.articles {
			j.urls = append(j.urls, "http://mp.weixin.qq.com/s/"+randomString(tokenAlphabet, 22))
		}
	}
	s.jobs[j.msgID] = j
	if len(s.reviewNext) > 0 {
		// Failed review: nothing is delivered and WeChat reports every count as 0.
		j.review, s.reviewNext = s.reviewNext[0], s.reviewNext[1:]
		j.total, j.urls = 0, nil
		s.scheduleFinish(j)
		return j
	}
	month := monthKey(now)
	got := s.monthly[month]
	if n := s.pop.indexes(); len(got) < n {
		// One byte per follower, so a send to 1,000,000 costs 1 MB, not a map of them.
		got = append(got, make([]uint8, n-len(got))...)
		s.monthly[month] = got
	}
	for _, k := range audience {
		switch {
		case groupOf(k) == GroupBlacklist, refuses(k), int(got[k]) >= s.cfg.MonthlyCap, !s.pop.subscribed(k):
			j.errors++
		default:
			j.sent++
			if got[k] < 255 {
				got[k]++
			}
		}
	}
	j.filter = j.sent + j.errors
	s.scheduleFinish(j)
	return j
}

// scheduleFinish arms the job's finish timer. Caller holds s.mu.
func (s *Server) scheduleFinish(j *job) {
	if !s.closed {
		s.wg.Add(1)
		id := j.msgID
		j.timer = time.AfterFunc(s.cfg.FinishDelay, func() { s.finish(id) })
	}
}

// finish marks a job finished and pushes its MASSSENDJOBFINISH. It runs once per job, from
// its timer or from FinishPending, and owns one unit of s.wg.
func (s *Server) finish(msgID int64) {
	defer s.wg.Done()
	s.mu.Lock()
	j := s.jobs[msgID]
	j.timer = nil
	j.finished = true
	now := s.now()
	body := s.eventXML(j, now)
	target := s.callbackURL
	s.mu.Unlock()
	s.cfg.Logger.Info("sandbox: mass job finished", "msg_id", msgID, "status", j.status(),
		"total", j.total, "filter", j.filter, "sent", j.sent, "error", j.errors)
	if target != "" {
		s.push(target, body, now)
	}
}

// FinishPending finishes every job still SENDING now, as if FinishDelay had passed,
// and returns once their callbacks are delivered (or given up).
func (s *Server) FinishPending() {
	s.mu.Lock()
	var due []int64
	for id, j := range s.jobs {
		if j.timer != nil && j.timer.Stop() {
			j.timer = nil
			due = append(due, id)
		}
	}
	s.mu.Unlock()
	sortInt64s(due)
	for _, id := range due {
		s.finish(id)
	}
}

// Job is a snapshot of a mass job, for tests and the demo.
type Job struct {
	MsgID, MsgDataID                               int64
	Status                                         string // "send success" / "send fail" / "err(N)"
	MsgType, MediaID, ClientMsgID                  string
	SendIgnoreReprint                              int
	Finished, Deleted                              bool
	TotalCount, FilterCount, SentCount, ErrorCount int
}

// Job returns the job with that msg_id.
func (s *Server) Job(msgID int64) (Job, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[msgID]
	if !ok {
		return Job{}, false
	}
	return Job{
		MsgID: j.msgID, MsgDataID: j.msgDataID, Status: j.status(), Finished: j.finished, Deleted: j.deleted,
		MsgType: j.msg.kind, MediaID: j.msg.mediaID, ClientMsgID: j.msg.clientMsgID, SendIgnoreReprint: j.msg.ignoreReprint,
		TotalCount: j.total, FilterCount: j.filter, SentCount: j.sent, ErrorCount: j.errors,
	}, true
}

// Received reports how many mass messages a follower received in the Beijing month of t.
func (s *Server) Received(openID string, t time.Time) int {
	k, ok := indexOf(openID)
	if !ok {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	got := s.monthly[monthKey(t)]
	if k >= len(got) {
		return 0
	}
	return int(got[k])
}
