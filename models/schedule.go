package models

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// ScheduleState is where a scheduled send (定时群发) is. This table is its state machine; every
// move is a conditional UPDATE on the state it leaves, so two workers (or a worker and an
// operator's click) never both make it:
//
//	state      what it means                         moves out to, on what                          by
//	scheduled  waiting for due_at                    firing: due, claimed at most scheduleGrace late  worker
//	                                                 missed: first seen more than scheduleGrace late   worker
//	                                                 (Qunfa was down at its time)
//	                                                 cancelled / a new due_at (stays scheduled)        operator
//	firing     claimed; planned again and started    fired: StartSend made its send (send_id)         worker, operator
//	           through StartSend                     failed: the plan refused it (reason)
//	                                                 a claim left by a crash is taken again after
//	                                                 scheduleClaimStale: its send, if made, is linked
//	                                                 (the send's idempotency key), else it fires again
//	                                                 within the grace, else it is missed
//	missed     its time passed while Qunfa was down  firing: "send now"; cancelled: "drop";           operator
//	                                                 scheduled: a new future time
//	failed     the plan refused it when it fired     firing: "send now"                               operator
//	fired      final: send_id is the send it made
//	cancelled  final
type ScheduleState string

const (
	ScheduleScheduled ScheduleState = "scheduled"
	ScheduleFiring    ScheduleState = "firing"
	ScheduleFired     ScheduleState = "fired"
	ScheduleFailed    ScheduleState = "failed"
	ScheduleCancelled ScheduleState = "cancelled"
	ScheduleMissed    ScheduleState = "missed"
)

const (
	// scheduleGrace is how late a schedule may still fire: a worker pass comes every few
	// seconds, so a schedule later than this was due while Qunfa was down, and the operator
	// decides (an announcement sent hours late may be worse than none).
	scheduleGrace = 10 * time.Minute
	// maxScheduleAhead bounds a due time: a date more than a year ahead is a typo.
	maxScheduleAhead = 366 * 24 * time.Hour
	// scheduleClaimStale is how long a "firing" claim may stand before it is taken as left by a
	// crash: firing is one plan and one transaction, seconds at most.
	scheduleClaimStale = 2 * time.Minute
	// endedSchedulesShown is how many fired, failed or cancelled schedules the list shows.
	endedSchedulesShown = 50
)

// Schedule reasons (catalogue keys) for a schedule that failed when it fired. A plan's own
// validation keys (err.group_not_found, err.openids_too_few …) are used as they are.
const (
	ReasonQuota     = "schedule.reason_quota"      // NeedCalls, QuotaLeft
	ReasonDraftGone = "schedule.reason_draft_gone" // the draft was deleted
	ReasonError     = "schedule.reason_error"      // Detail: the error
)

// ErrScheduleNotWaiting: the schedule has fired, is firing or was cancelled; it can no longer
// be edited or cancelled (or sent now).
var ErrScheduleNotWaiting = errors.New("models: the schedule is no longer waiting")

// Schedule is a scheduled send as the operator sees it.
type Schedule struct {
	ID         uint
	DraftID    uint
	Title      string
	Target     TargetKind
	GroupID    int64
	GroupName  string
	ListCount  int // OpenIDs in its list (target openids)
	OperatorID uint
	DueAt      time.Time
	State      ScheduleState
	SendID     uint // the send it made (fired)
	Reason     string
	NeedCalls  int
	QuotaLeft  int
	Detail     string
	CreatedAt  time.Time
}

// Waiting reports whether the schedule can still be edited or cancelled.
func (s Schedule) Waiting() bool { return s.State == ScheduleScheduled || s.State == ScheduleMissed }

type scheduleRow struct {
	ID        uint `gorm:"primaryKey"`
	IdemKey   string
	DraftID   uint
	Title     string
	Target    TargetKind
	GroupID   int64
	GroupName string
	OpenIDs   string `gorm:"column:open_ids"`
	ListCount int
	// IncludeCapped: the list goes to its followers at the monthly cap too (the confirmation's choice).
	IncludeCapped bool
	OperatorID    uint
	DueAt         time.Time
	State         ScheduleState
	SendID        *uint
	Reason        string
	NeedCalls     int
	QuotaLeft     int
	Detail        string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	ClaimedAt     *time.Time
	AudienceID    uint `gorm:"column:audience_id"` // the saved audience of its list (migration 22)
}

func (scheduleRow) TableName() string { return "schedules" }

func (r scheduleRow) schedule() Schedule {
	s := Schedule{ID: r.ID, DraftID: r.DraftID, Title: r.Title, Target: r.Target, GroupID: r.GroupID,
		GroupName: r.GroupName, ListCount: r.ListCount, OperatorID: r.OperatorID, DueAt: r.DueAt, State: r.State,
		Reason: r.Reason, NeedCalls: r.NeedCalls, QuotaLeft: r.QuotaLeft, Detail: r.Detail, CreatedAt: r.CreatedAt}
	if r.SendID != nil {
		s.SendID = *r.SendID
	}
	return s
}

// scheduleListColumns leaves the list itself out: a list page never needs 100,000 OpenIDs.
var scheduleListColumns = []string{"id", "draft_id", "title", "target", "group_id", "group_name", "list_count",
	"operator_id", "due_at", "state", "send_id", "reason", "need_calls", "quota_left", "detail", "created_at"}

// ScheduleInput is a send request and the time it is due.
type ScheduleInput struct {
	Send  SendInput
	DueAt time.Time
}

// ScheduleEdit changes a waiting schedule: its time, and for a group (or tag) target the group
// (nil: unchanged; 0 is a group of its own, 未分组).
type ScheduleEdit struct {
	DueAt   time.Time
	GroupID *int64
}

// ScheduleFailedError is why a schedule did not make a send when it fired (or was sent now).
type ScheduleFailedError struct {
	Reason    string // catalogue key
	NeedCalls int
	QuotaLeft int
	Detail    string
}

func (e *ScheduleFailedError) Error() string {
	return fmt.Sprintf("models: scheduled send refused: %s %d/%d %s", e.Reason, e.NeedCalls, e.QuotaLeft, e.Detail)
}

// NextQuotaDay is when a send refused for today's quota is scheduled by the one-click choice:
// 00:05 Beijing time the next day. The quota is counted per Beijing day, so the new day's
// quota is whole then; the five minutes leave room for a clock that runs a little fast here,
// or at WeChat, so the first call is not counted against the old day.
func NextQuotaDay(now time.Time) time.Time {
	b := now.In(Beijing)
	return time.Date(b.Year(), b.Month(), b.Day()+1, 0, 5, 0, 0, Beijing).UTC()
}

// checkDue refuses a time already past and one absurdly far ahead.
func (s *Service) checkDue(due time.Time) error {
	now := s.now()
	switch {
	case due.IsZero():
		return fieldError("schedule_at", "err.schedule_time_invalid")
	case !due.After(now):
		return fieldError("schedule_at", "err.schedule_past")
	case due.Sub(now) > maxScheduleAhead:
		return fieldError("schedule_at", "err.schedule_too_far")
	}
	return nil
}

// CreateSchedule keeps a send request to be started at in.DueAt. The request is checked as the
// confirmation page checks it (draft, target, OpenID list) but not against today's quota: the
// quota is checked again, with everything else, when it fires. An OpenID list is stored with
// the schedule, parsed. The form's key makes a double click one schedule.
func (s *Service) CreateSchedule(ctx context.Context, in ScheduleInput, operatorID uint) (_ Schedule, err error) {
	defer wrap(&err, "schedule draft %d", in.Send.DraftID)
	if err := s.checkDue(in.DueAt); err != nil {
		return Schedule{}, err
	}
	p, err := s.plan(ctx, in.Send)
	if err != nil && !errors.Is(err, ErrQuotaExceeded) {
		return Schedule{}, err
	}
	if len(p.OpenIDProblems) > 0 {
		return Schedule{}, fieldError("openids", "err.openids_invalid")
	}
	key := "form-" + normaliseKey(idempotencyKey(in.Send))
	var existing []scheduleRow
	if err := s.store.db(ctx).Select(scheduleListColumns).Where("idem_key = ?", key).Limit(1).Find(&existing).Error; err != nil {
		return Schedule{}, err
	}
	if len(existing) > 0 {
		return existing[0].schedule(), nil
	}
	now := s.now()
	row := scheduleRow{IdemKey: key, DraftID: p.draftID, Target: p.target, OperatorID: operatorID, IncludeCapped: in.Send.IncludeCapped,
		DueAt: in.DueAt.UTC(), State: ScheduleScheduled, CreatedAt: now, UpdatedAt: now}
	row.Title = p.title
	switch p.target {
	case TargetGroup:
		row.GroupID, row.GroupName = in.Send.GroupID, p.GroupName
	case TargetOpenIDs:
		// The whole list, not the plan's rest after leaving out the capped: who is at the cap
		// is decided again when it fires.
		ids, _ := ParseOpenIDs(in.Send.OpenIDs)
		row.OpenIDs, row.ListCount = strings.Join(ids, "\n"), len(ids)
		row.AudienceID = in.Send.AudienceID
	}
	if err := s.store.db(ctx).Create(&row).Error; err != nil {
		return Schedule{}, err
	}
	s.log.Info("send scheduled", "schedule_id", row.ID, "draft_id", row.DraftID, "due_at", row.DueAt, "operator_id", operatorID)
	return row.schedule(), nil
}

// Schedules lists the schedules still to act on (waiting, firing, missed), soonest first, then
// the most recent fired, failed or cancelled ones.
func (s *Service) Schedules(ctx context.Context) (_ []Schedule, err error) {
	defer wrap(&err, "list schedules")
	var open, ended []scheduleRow
	db := s.store.db(ctx)
	if err := db.Select(scheduleListColumns).Where("state IN ?", []ScheduleState{ScheduleScheduled, ScheduleFiring, ScheduleMissed}).
		Order("due_at, id").Find(&open).Error; err != nil {
		return nil, err
	}
	if err := db.Select(scheduleListColumns).Where("state IN ?", []ScheduleState{ScheduleFired, ScheduleFailed, ScheduleCancelled}).
		Order("due_at DESC, id DESC").Limit(endedSchedulesShown).Find(&ended).Error; err != nil {
		return nil, err
	}
	out := make([]Schedule, 0, len(open)+len(ended))
	for _, r := range append(open, ended...) {
		out = append(out, r.schedule())
	}
	return out, nil
}

// Schedule returns one schedule, or ErrNotFound.
func (s *Service) Schedule(ctx context.Context, id uint) (Schedule, error) {
	var rows []scheduleRow
	if err := s.store.db(ctx).Select(scheduleListColumns).Where("id = ?", id).Limit(1).Find(&rows).Error; err != nil {
		return Schedule{}, fmt.Errorf("models: schedule %d: %w", id, err)
	}
	if len(rows) == 0 {
		return Schedule{}, ErrNotFound
	}
	return rows[0].schedule(), nil
}

// MissedSchedules counts the schedules missed while Qunfa was down, for a notice on every page.
func (s *Service) MissedSchedules(ctx context.Context) (int, error) {
	var n int64
	err := s.store.db(ctx).Model(&scheduleRow{}).Where("state = ?", ScheduleMissed).Count(&n).Error
	return int(n), err
}

// EditSchedule moves a waiting schedule to a new time (a missed one waits again) and, for a
// group or tag target, to another group. ErrScheduleNotWaiting once it has fired or was cancelled.
func (s *Service) EditSchedule(ctx context.Context, id uint, in ScheduleEdit) (err error) {
	defer wrap(&err, "edit schedule %d", id)
	cur, err := s.Schedule(ctx, id)
	if err != nil {
		return err
	}
	if !cur.Waiting() {
		return ErrScheduleNotWaiting
	}
	if err := s.checkDue(in.DueAt); err != nil {
		return err
	}
	set := map[string]any{"due_at": in.DueAt.UTC(), "state": ScheduleScheduled, "updated_at": s.now()}
	if cur.Target == TargetGroup && in.GroupID != nil && *in.GroupID != cur.GroupID {
		groups, _, err := s.Audiences(ctx)
		if err != nil {
			return err
		}
		found := false
		for _, g := range groups {
			if g.ID == *in.GroupID {
				set["group_id"], set["group_name"], found = g.ID, g.Name, true
				break
			}
		}
		if !found {
			return fieldError("group", "err.group_not_found")
		}
	}
	res := s.store.db(ctx).Model(&scheduleRow{}).Where("id = ? AND state IN ?", id,
		[]ScheduleState{ScheduleScheduled, ScheduleMissed}).Updates(set)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrScheduleNotWaiting // it fired (or was cancelled) meanwhile
	}
	return nil
}

// CancelSchedule cancels a waiting schedule, or drops a missed one.
func (s *Service) CancelSchedule(ctx context.Context, id uint) (err error) {
	defer wrap(&err, "cancel schedule %d", id)
	res := s.store.db(ctx).Model(&scheduleRow{}).Where("id = ? AND state IN ?", id,
		[]ScheduleState{ScheduleScheduled, ScheduleMissed}).
		Updates(map[string]any{"state": ScheduleCancelled, "updated_at": s.now()})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		if _, err := s.Schedule(ctx, id); err != nil {
			return err
		}
		return ErrScheduleNotWaiting
	}
	return nil
}

// SendScheduleNow starts a missed (or failed) schedule now, on the operator's word, planned as
// of now. A *ScheduleFailedError says why it was refused (the schedule is then failed).
func (s *Service) SendScheduleNow(ctx context.Context, id uint) (_ Send, err error) {
	defer wrap(&err, "send schedule %d now", id)
	res := s.store.db(ctx).Model(&scheduleRow{}).Where("id = ? AND state IN ?", id,
		[]ScheduleState{ScheduleMissed, ScheduleFailed}).
		Updates(map[string]any{"state": ScheduleFiring, "claimed_at": s.now(), "updated_at": s.now()})
	if res.Error != nil {
		return Send{}, res.Error
	}
	if res.RowsAffected == 0 {
		if _, err := s.Schedule(ctx, id); err != nil {
			return Send{}, err
		}
		return Send{}, ErrScheduleNotWaiting
	}
	return s.fire(ctx, id)
}

// FireDueSchedules is the worker's step for schedules: each one due is claimed (a conditional
// UPDATE, so it fires once however many workers look) and started, or marked missed when its
// time passed more than scheduleGrace ago; claims left by a crash are settled.
func (s *Service) FireDueSchedules(ctx context.Context) (err error) {
	defer wrap(&err, "fire due schedules")
	now := s.now()
	var rows []scheduleRow
	if err := s.store.db(ctx).Select("id", "state", "due_at", "claimed_at", "draft_id", "target", "group_id", "open_ids", "audience_id").
		Where("(state = ? AND due_at <= ?) OR (state = ? AND claimed_at <= ?)",
			ScheduleScheduled, now, ScheduleFiring, now.Add(-scheduleClaimStale)).
		Order("due_at, id").Limit(100).Find(&rows).Error; err != nil {
		return err
	}
	for _, r := range rows {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		fire, err := s.claimDue(ctx, r, now)
		if err != nil {
			return err
		}
		if !fire {
			continue
		}
		if _, err := s.fire(ctx, r.ID); err != nil {
			var refused *ScheduleFailedError
			if errors.As(err, &refused) {
				continue // recorded on the schedule
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			s.log.Error("scheduled send failed", "schedule_id", r.ID, "err", redact(err.Error()))
		}
	}
	return nil
}

// claimDue takes a due schedule for this worker. A scheduled one is claimed, or marked missed
// when too late; a stale firing one is taken over, linked to its send if the crash came after
// the send was made, marked missed if too late, else fired again.
func (s *Service) claimDue(ctx context.Context, r scheduleRow, now time.Time) (bool, error) {
	db := s.store.db(ctx).Model(&scheduleRow{})
	late := now.Sub(r.DueAt) > scheduleGrace
	if r.State == ScheduleScheduled {
		if late {
			res := db.Where("id = ? AND state = ?", r.ID, ScheduleScheduled).
				Updates(map[string]any{"state": ScheduleMissed, "updated_at": now})
			if res.Error == nil && res.RowsAffected > 0 {
				s.log.Warn("scheduled send missed: its time passed while Qunfa was down", "schedule_id", r.ID, "due_at", r.DueAt)
			}
			return false, res.Error
		}
		res := db.Where("id = ? AND state = ?", r.ID, ScheduleScheduled).
			Updates(map[string]any{"state": ScheduleFiring, "claimed_at": now, "updated_at": now})
		return res.RowsAffected > 0, res.Error
	}
	// A stale claim: take it over (only one worker does).
	res := db.Where("id = ? AND state = ? AND claimed_at <= ?", r.ID, ScheduleFiring, now.Add(-scheduleClaimStale)).
		Updates(map[string]any{"claimed_at": now, "updated_at": now})
	if res.Error != nil || res.RowsAffected == 0 {
		return false, res.Error
	}
	key := normaliseKey(idempotencyKey(scheduleSendInput(r)))
	if id, ok, err := s.pipe.SendIDByKey(ctx, key); err != nil {
		return false, err
	} else if ok {
		return false, s.settle(ctx, r.ID, map[string]any{"state": ScheduleFired, "send_id": id})
	}
	if late {
		s.log.Warn("scheduled send missed: Qunfa stopped while starting it", "schedule_id", r.ID, "due_at", r.DueAt)
		return false, s.settle(ctx, r.ID, map[string]any{"state": ScheduleMissed})
	}
	return true, nil
}

// scheduleSendInput is the send a schedule makes. Its key is the schedule's own: however often
// it is fired (a crash mid-fire, two workers), StartSend makes one send for it.
func scheduleSendInput(r scheduleRow) SendInput {
	return SendInput{DraftID: r.DraftID, Target: r.Target, GroupID: r.GroupID, OpenIDs: r.OpenIDs,
		IncludeCapped: r.IncludeCapped, AudienceID: r.AudienceID, Key: fmt.Sprintf("schedule-%d", r.ID)}
}

// settle ends a firing schedule (only a firing one: the claim is the lock).
func (s *Service) settle(ctx context.Context, id uint, set map[string]any) error {
	set["updated_at"] = s.now()
	return s.store.db(ctx).Model(&scheduleRow{}).Where("id = ? AND state = ?", id, ScheduleFiring).Updates(set).Error
}

// fire plans and starts a claimed schedule through StartSend, the confirmation page's path, so
// the daily quota, the draft as it now is and the target are all checked as of now. A refusal is
// recorded on the schedule and returned as a *ScheduleFailedError; nothing is sent.
func (s *Service) fire(ctx context.Context, id uint) (Send, error) {
	var rows []scheduleRow
	if err := s.store.db(ctx).Where("id = ?", id).Limit(1).Find(&rows).Error; err != nil || len(rows) == 0 {
		if err == nil {
			err = ErrNotFound
		}
		return Send{}, err
	}
	r := rows[0]
	in := scheduleSendInput(r)
	send, err := s.StartSend(ctx, in, r.OperatorID)
	if err == nil {
		s.log.Info("scheduled send started", "schedule_id", r.ID, "send_id", send.ID)
		return send, s.settle(context.WithoutCancel(ctx), r.ID, map[string]any{"state": ScheduleFired, "send_id": send.ID})
	}
	if ctx.Err() != nil {
		return Send{}, err // shutdown: the claim goes stale and the next start settles it
	}
	refused := &ScheduleFailedError{}
	var ve *ValidationError
	switch {
	case errors.Is(err, ErrQuotaExceeded):
		refused.Reason = ReasonQuota
		if p, perr := s.PlanSend(ctx, in); errors.Is(perr, ErrQuotaExceeded) {
			refused.NeedCalls, refused.QuotaLeft = p.CallsNeeded, p.QuotaLeft
		}
	case errors.Is(err, ErrNotFound):
		refused.Reason = ReasonDraftGone
	case errors.As(err, &ve):
		refused.Reason = ReasonError
		keys := make([]string, 0, len(ve.Fields))
		for _, k := range ve.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if len(keys) > 0 {
			refused.Reason = keys[0] // the plan's own catalogue key
		}
	default:
		refused.Reason, refused.Detail = ReasonError, redact(err.Error())
	}
	s.log.Warn("scheduled send refused", "schedule_id", r.ID, "reason", refused.Reason, "err", redact(err.Error()))
	if serr := s.settle(ctx, r.ID, map[string]any{"state": ScheduleFailed, "reason": refused.Reason,
		"need_calls": refused.NeedCalls, "quota_left": refused.QuotaLeft, "detail": refused.Detail}); serr != nil {
		return Send{}, serr
	}
	return Send{}, refused
}
