package models

import (
	"context"
	"sort"
	"strconv"
	"time"
)

// A send's report (issue 9, point 2): its reading statistics by day and by article, and the
// timeline of what happened to it and who did it.

// SendReadStats are a send's reading statistics, summed over its batches' msg_data_ids.
type SendReadStats struct {
	Days     []ReadDay     // one per stat_date, oldest first
	Articles []ArticleRead // one per article, in order, as of the last day
	Total    ReadFigures   // all articles, as of the last day
	// LeadReaders is how many people read the first article (头条): the read rate's numerator.
	LeadReaders int
	FetchedAt   *time.Time // the last fetch that stored figures
}

// ReadDay is one stat_date: that day's part and the total up to it.
type ReadDay struct {
	Date       string
	Day, Total ReadFigures
}

// ArticleRead is one article's figures as of the last day.
type ArticleRead struct {
	Index int // 1-based
	Title string
	ReadFigures
}

// SendReadStats reads the send's figures from article_stats. A batch whose series starts or
// ends earlier than another's keeps its last figures on the later days (they are cumulative).
func (s *Service) SendReadStats(ctx context.Context, send Send) (out SendReadStats, err error) {
	defer wrap(&err, "read statistics of send %d", send.ID)
	var ids []int64
	seenID := map[int64]bool{}
	for _, b := range send.Batches {
		if b.MsgDataID != 0 && !seenID[b.MsgDataID] {
			seenID[b.MsgDataID] = true
			ids = append(ids, b.MsgDataID)
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []articleStatRow
	if err := s.store.db(ctx).Where("msg_data_id IN ?", ids).Order("msg_data_id, article_idx, stat_date").Find(&rows).Error; err != nil {
		return out, err
	}
	if len(rows) == 0 {
		return out, nil
	}
	type series struct {
		id  int64
		idx int
	}
	bySeries := map[series][]articleStatRow{}
	var keys []series
	dateSet := map[string]bool{}
	titles := map[int]string{}
	for _, r := range rows {
		k := series{r.MsgDataID, r.ArticleIdx}
		if _, ok := bySeries[k]; !ok {
			keys = append(keys, k)
		}
		bySeries[k] = append(bySeries[k], r)
		dateSet[r.StatDate] = true
		if titles[r.ArticleIdx] == "" {
			titles[r.ArticleIdx] = r.Title
		}
		if out.FetchedAt == nil || r.FetchedAt.After(*out.FetchedAt) {
			at := r.FetchedAt
			out.FetchedAt = &at
		}
	}
	dates := make([]string, 0, len(dateSet))
	for d := range dateSet {
		dates = append(dates, d)
	}
	sort.Strings(dates)
	totals := make([]ReadFigures, len(dates))
	articles := map[int]ReadFigures{}
	for _, k := range keys {
		rs := bySeries[k]
		j := -1
		for i, d := range dates {
			for j+1 < len(rs) && rs[j+1].StatDate <= d {
				j++
			}
			if j >= 0 {
				totals[i] = totals[i].plus(rs[j].figures())
			}
		}
		last := rs[len(rs)-1].figures()
		articles[k.idx] = articles[k.idx].plus(last)
		if k.idx == 1 {
			out.LeadReaders += last.ReadUser
		}
	}
	prev := ReadFigures{}
	for i, d := range dates {
		out.Days = append(out.Days, ReadDay{Date: d, Day: totals[i].minus(prev), Total: totals[i]})
		prev = totals[i]
	}
	out.Total = totals[len(totals)-1]
	idxs := make([]int, 0, len(articles))
	for i := range articles {
		idxs = append(idxs, i)
	}
	sort.Ints(idxs)
	for _, i := range idxs {
		out.Articles = append(out.Articles, ArticleRead{Index: i, Title: titles[i], ReadFigures: articles[i]})
	}
	return out, nil
}

// Timeline keys beside the history's (catalogue keys).
const (
	TimelineReconciled = "timeline.reconciled" // mass/get asked about a batch whose push never came
	TimelineStats      = "timeline.stats"      // WeChat's reading statistics fetched
)

// TimelineEvent is one moment of a send's life: what (a catalogue key), who (an operator's name;
// "" for Qunfa or WeChat) and from where (the audit log's address, when it has one).
type TimelineEvent struct {
	At     time.Time
	Action string
	Who    string
	Addr   string
	Detail string
}

// auditHistory maps an audit action on a send to the history entry it stands beside.
var auditHistory = map[string]string{
	AuditSendCreate:   HistoryCreated,
	AuditSendAwaiting: HistoryAwaitingApproval,
	AuditSendApprove:  HistoryApproved,
	AuditSendReject:   HistoryRejected,
	AuditSendDelete:   HistoryDeleted,
}

// SendTimeline is the send's history, with who did each step (the operators' names, and the
// audit log's entries on "send:<id>" for where from and for what the history does not record),
// the last mass/get reconciliation and the last statistics fetch, oldest first.
func (s *Service) SendTimeline(ctx context.Context, send Send, stats SendReadStats) (out []TimelineEvent, err error) {
	defer wrap(&err, "timeline of send %d", send.ID)
	db := s.store.db(ctx)
	var opIDs []uint
	for _, h := range send.History {
		if h.OperatorID != 0 {
			opIDs = append(opIDs, h.OperatorID)
		}
	}
	names := map[uint]string{}
	if len(opIDs) > 0 {
		var ops []struct {
			ID       uint
			Username string
		}
		if err := db.Table("operators").Select("id", "username").Where("id IN ?", opIDs).Find(&ops).Error; err != nil {
			return nil, err
		}
		for _, o := range ops {
			names[o.ID] = o.Username
		}
	}
	for _, h := range send.History {
		out = append(out, TimelineEvent{At: h.At, Action: h.Action, Who: names[h.OperatorID], Detail: h.Detail})
	}
	var audits []auditRow
	if err := db.Where("target = ?", "send:"+strconv.FormatUint(uint64(send.ID), 10)).Order("at, id").Limit(200).Find(&audits).Error; err != nil {
		return nil, err
	}
	used := map[int]bool{}
	for _, a := range audits {
		if key, ok := auditHistory[a.Action]; ok {
			if i := matchHistory(out, key, used); i >= 0 {
				used[i] = true
				out[i].Addr = a.ClientAddr
				if out[i].Who == "" {
					out[i].Who = a.Username
				}
				continue
			}
		}
		out = append(out, TimelineEvent{At: a.At, Action: "audit.action." + a.Action, Who: a.Username, Addr: a.ClientAddr, Detail: a.Detail})
	}
	var checked []time.Time
	if err := db.Table("send_batches").Where("send_id = ? AND checked_at IS NOT NULL", send.ID).
		Order("checked_at DESC").Limit(1).Pluck("checked_at", &checked).Error; err != nil {
		return nil, err
	}
	if len(checked) > 0 {
		out = append(out, TimelineEvent{At: checked[0], Action: TimelineReconciled, Detail: "message/mass/get"})
	}
	if stats.FetchedAt != nil && len(stats.Days) > 0 {
		out = append(out, TimelineEvent{At: *stats.FetchedAt, Action: TimelineStats, Detail: stats.Days[len(stats.Days)-1].Date})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, nil
}

// matchHistory is the first history event with that action not yet matched to an audit entry.
func matchHistory(events []TimelineEvent, action string, used map[int]bool) int {
	for i, e := range events {
		if e.Action == action && !used[i] {
			return i
		}
	}
	return -1
}
