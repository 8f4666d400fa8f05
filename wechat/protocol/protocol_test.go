package protocol

import (
	"testing"
	"time"
)

func TestTransientAndWaitMinute(t *testing.T) {
	for code, want := range map[int]bool{-1: true, 42010: true, 45011: true, 45066: true, 9500002: true,
		0: false, 40007: false, 45009: false, 45065: false, 48001: false} {
		if Transient(code) != want {
			t.Errorf("Transient(%d) = %v, want %v", code, !want, want)
		}
	}
	if !WaitMinute(45066) || WaitMinute(-1) {
		t.Error("only 45066 asks for a minute's pause")
	}
}

func TestBeijingDayRollsOverAtBeijingMidnight(t *testing.T) {
	// 15:59:59 UTC is 23:59:59 in Beijing; a second later is the next WeChat day.
	before := time.Date(2026, 11, 30, 15, 59, 59, 0, time.UTC)
	if got := BeijingDay(before); got != "2026-11-30" {
		t.Errorf("BeijingDay(%v) = %s", before, got)
	}
	if got := BeijingDay(before.Add(time.Second)); got != "2026-12-01" {
		t.Errorf("BeijingDay(%v) = %s", before.Add(time.Second), got)
	}
}
