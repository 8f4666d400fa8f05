package models

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A kept list is read back only for its draft and operator, and only for 24 hours; the purge
// removes it then.
func TestPlanListKeptForADay(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	id, err := f.svc.SavePlanList(ctx, 7, 3, "oAAAAAAAAAAA1\noAAAAAAAAAAA2")
	if err != nil || len(id) != 32 {
		t.Fatalf("SavePlanList = %q, %v", id, err)
	}
	if text, err := f.svc.PlanList(ctx, id, 7, 3); err != nil || text != "oAAAAAAAAAAA1\noAAAAAAAAAAA2" {
		t.Fatalf("PlanList = %q, %v", text, err)
	}
	for _, tt := range []struct {
		id              string
		draft, operator uint
	}{{id, 8, 3}, {id, 7, 4}, {"nope", 7, 3}} {
		if _, err := f.svc.PlanList(ctx, tt.id, tt.draft, tt.operator); !errors.Is(err, ErrNotFound) {
			t.Errorf("PlanList(%q, %d, %d) = %v, want ErrNotFound", tt.id, tt.draft, tt.operator, err)
		}
	}
	f.clock.Advance(25 * time.Hour)
	if _, err := f.svc.PlanList(ctx, id, 7, 3); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a day-old list: %v, want ErrNotFound", err)
	}
	if n, err := f.svc.PurgePlanLists(ctx); err != nil || n != 1 {
		t.Fatalf("PurgePlanLists = %d, %v; want 1", n, err)
	}
}
