package models

import (
	"context"
	"fmt"
	"time"
)

// planListLifetime is how long a confirmation page's OpenID list stays usable.
const planListLifetime = 24 * time.Hour

type planListRow struct {
	ID         string `gorm:"primaryKey"`
	DraftID    uint
	OperatorID uint
	OpenIDs    string `gorm:"column:open_ids"`
	CreatedAt  time.Time
	AudienceID uint `gorm:"column:audience_id"` // the saved audience it was resolved from (migration 22)
}

func (planListRow) TableName() string { return "plan_lists" }

// SavePlanList keeps an OpenID list as pasted for the send of draftID by operatorID and returns
// its id (unguessable), for the confirmation form to carry instead of the list. Lists older than
// planListLifetime are removed on the way.
func (s *Service) SavePlanList(ctx context.Context, draftID, operatorID uint, text string) (string, error) {
	if _, err := s.PurgePlanLists(ctx); err != nil {
		return "", err
	}
	row := planListRow{ID: randomHex(16), DraftID: draftID, OperatorID: operatorID, OpenIDs: text, CreatedAt: s.now()}
	if err := s.store.db(ctx).Create(&row).Error; err != nil {
		return "", fmt.Errorf("models: save OpenID list of draft %d: %w", draftID, err)
	}
	return row.ID, nil
}

// PlanList returns the text of a list SavePlanList kept for this draft and operator, or
// ErrNotFound (unknown, expired, or another draft's or operator's).
func (s *Service) PlanList(ctx context.Context, id string, draftID, operatorID uint) (string, error) {
	text, _, err := s.PlanListOf(ctx, id, draftID, operatorID)
	return text, err
}

// PlanListOf is PlanList with the saved audience the list was resolved from (0: a pasted list).
func (s *Service) PlanListOf(ctx context.Context, id string, draftID, operatorID uint) (string, uint, error) {
	var rows []planListRow
	err := s.store.db(ctx).Where("id = ? AND draft_id = ? AND operator_id = ? AND created_at > ?",
		id, draftID, operatorID, s.now().Add(-planListLifetime)).Limit(1).Find(&rows).Error
	if err != nil {
		return "", 0, fmt.Errorf("models: OpenID list %q: %w", id, err)
	}
	if len(rows) == 0 {
		return "", 0, ErrNotFound
	}
	return rows[0].OpenIDs, rows[0].AudienceID, nil
}

// PurgePlanLists removes the lists older than planListLifetime and says how many.
func (s *Service) PurgePlanLists(ctx context.Context) (int64, error) {
	res := s.store.db(ctx).Where("created_at <= ?", s.now().Add(-planListLifetime)).Delete(&planListRow{})
	if res.Error != nil {
		return 0, fmt.Errorf("models: purge OpenID lists: %w", res.Error)
	}
	return res.RowsAffected, nil
}
