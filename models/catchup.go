package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// A catch-up (补发) sends a finished send again, as it was sent, to the followers who subscribed
// after it went out and have not received it (nor an earlier catch-up of it): an OpenID list
// through StartSend, so the plan leaves out followers at their cap and checks the quota like any
// list, recorded as a send of its own with sends.catch_up_of naming the first.

// CatchUp is what a send's page shows of its catch-up.
type CatchUp struct {
	Possible bool   // the send is finished and not itself a catch-up
	Waiting  int    // followers who subscribed after it and have not received it
	Underway uint   // a catch-up of it still on its way (0: none): no second one meanwhile
	Sends    []uint // its catch-ups, oldest first
}

// catchUpCandidates is the SELECT of the OpenIDs a catch-up of send id (submitted at `at`)
// would address, with its arguments: subscribed after it, still subscribed, in neither its
// recipients nor those of its catch-ups. The index on subscribed_at keeps it to the newcomers.
func catchUpCandidates(id uint, at any) (string, []any) {
	return `SELECT f.open_id FROM followers AS f
		WHERE f.subscribed = 1 AND f.subscribed_at > ?
		AND NOT EXISTS (SELECT 1 FROM send_recipients AS r WHERE r.open_id = f.open_id
			AND r.send_id IN (SELECT ? UNION ALL SELECT c.id FROM sends AS c WHERE c.catch_up_of = ?))`,
		[]any{at, id, id}
}

// catchUpSource loads the send a catch-up repeats, or a ValidationError when it cannot have one.
func (s *Service) catchUpSource(ctx context.Context, id uint) (sendRow, error) {
	var row sendRow
	if err := s.store.db(ctx).Take(&row, id).Error; err != nil {
		return row, notFound(err)
	}
	if row.State != StateFinished || row.CatchUpOf != 0 || row.SubmittedAt == nil || row.ArticleRemovedBy != 0 {
		return row, fieldError("catch_up", "err.catch_up_not_possible")
	}
	// Its recipients still being recorded (ledger.go): who got it is not known yet.
	var pending int64
	if err := s.store.db(ctx).Model(&batchRow{}).Where("send_id = ? AND ledger_after IS NOT NULL", id).Count(&pending).Error; err != nil {
		return row, err
	}
	if pending > 0 {
		return row, fieldError("catch_up", "err.catch_up_not_possible")
	}
	return row, nil
}

// SendCatchUp says whether send id can be caught up on, for how many followers, and lists its
// catch-ups. Cheap enough for every view of the send's page.
func (s *Service) SendCatchUp(ctx context.Context, id uint) (_ CatchUp, err error) {
	defer wrap(&err, "catch-up of send %d", id)
	var out CatchUp
	db := s.store.db(ctx)
	var rows []sendRow
	if err := db.Select("id", "state").Where("catch_up_of = ?", id).Order("id").Find(&rows).Error; err != nil {
		return out, err
	}
	for _, r := range rows {
		out.Sends = append(out.Sends, r.ID)
		if r.State == StateAwaitingApproval || r.State == StateQueued || r.State == StateUploading || r.State == StateSubmitting {
			out.Underway = r.ID
		}
	}
	src, err := s.catchUpSource(ctx, id)
	if ve := (*ValidationError)(nil); errors.As(err, &ve) {
		return out, nil
	} else if err != nil {
		return out, err
	}
	out.Possible = true
	q, args := catchUpCandidates(id, src.SubmittedAt.UTC())
	err = db.Raw(`SELECT COUNT(*) FROM (`+q+`)`, args...).Scan(&out.Waiting).Error
	return out, err
}

// noCatchUpUnderway fails (a ValidationError) while a catch-up of send id is on its way.
func (s *Service) noCatchUpUnderway(ctx context.Context, id uint) error {
	var n int64
	if err := s.store.db(ctx).Model(&sendRow{}).Where("catch_up_of = ? AND state IN ?", id,
		[]SendState{StateAwaitingApproval, StateQueued, StateUploading, StateSubmitting}).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return fieldError("catch_up", "err.catch_up_underway")
	}
	return nil
}

// catchUpInput fills the plan of a catch-up of in.CatchUpOf from that send: its articles as
// sent, its draft, and the followers it is for as an OpenID list.
func (s *Service) catchUpInput(ctx context.Context, p *planned, in SendInput) (SendInput, error) {
	src, err := s.catchUpSource(ctx, in.CatchUpOf)
	if err != nil {
		return in, err
	}
	if err := s.noCatchUpUnderway(ctx, in.CatchUpOf); err != nil {
		return in, err
	}
	if err := json.Unmarshal([]byte(src.ArticlesJSON), &p.arts); err != nil {
		return in, fmt.Errorf("models: articles of send %d: %w", src.ID, err)
	}
	p.draftID, p.title = src.DraftID, src.Title
	q, args := catchUpCandidates(src.ID, src.SubmittedAt.UTC())
	// Only the newcomers come back (the subscribed_at index): the list's size, not the followers'.
	if err := s.store.db(ctx).Raw(q+` ORDER BY f.open_id`, args...).Scan(&p.openIDs).Error; err != nil {
		return in, err
	}
	in.DraftID, in.Target, in.OpenIDs, in.GroupID = src.DraftID, TargetOpenIDs, "", 0
	return in, nil
}
