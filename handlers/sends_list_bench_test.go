package handlers

import (
	"database/sql"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// BenchmarkHistoryPage serves the first page of the history through the real router (session,
// layout, quota line, render) at 100, 1,000 and 10,000 sends of two batches each. Keyset paging
// reads 51 sends and their batches whatever the total: the target is 10,000 ≈ 100.
//
//	go test -run '^$' -bench BenchmarkHistoryPage -benchtime 200x ./handlers/
func BenchmarkHistoryPage(b *testing.B) {
	sizes := []int{100, 1000, 10000}
	apps := map[string]*testApp{}
	var names []string
	for _, n := range sizes {
		name := fmt.Sprintf("sends=%d", n)
		ta := newTestAppWith(b, appOptions{seed: seedSends(n, 2)})
		ta.setupAndLogin()
		apps[name] = ta
		names = append(names, name)
	}
	interleaved(b, 7, names, nil, func(b *testing.B, name string) {
		ta := apps[name]
		size := 0
		for i := 0; i < b.N; i++ {
			r := ta.get("/sends")
			if r.status != http.StatusOK || !strings.Contains(r.body, `data-testid="history-older"`) {
				b.Fatalf("GET /sends: %d", r.status)
			}
			size = len(r.body)
		}
		b.ReportMetric(float64(size), "page-bytes")
	})
}

// BenchmarkSendPage serves a send's page (GET /sends/:id) through the real router: a send whose
// OpenID list was split into 5 batches of 10,000 (the OpenIDs are stored but not read for the
// page), against a one-batch send in the same database.
//
//	go test -run '^$' -bench BenchmarkSendPage -benchtime 500x ./handlers/
func BenchmarkSendPage(b *testing.B) {
	ta := newTestAppWith(b, appOptions{seed: func(db *sql.DB) error {
		if err := seedSends(2, 1)(db); err != nil {
			return err
		}
		// Send 2 becomes an OpenID send of 50,000 in 5 batches, with its history.
		var ids strings.Builder
		for i := range 10000 {
			fmt.Fprintf(&ids, "oQunfaBench%017d\n", i)
		}
		at := time.Date(2024, 5, 1, 2, 0, 0, 0, time.UTC)
		if _, err := db.Exec(`UPDATE sends SET target = 'openids', recipients = 50000 WHERE id = 2`); err != nil {
			return err
		}
		if _, err := db.Exec(`UPDATE send_batches SET open_ids = ? WHERE send_id = 2`, ids.String()); err != nil {
			return err
		}
		for i := 1; i < 5; i++ {
			if _, err := db.Exec(`INSERT INTO send_batches (send_id, batch_index, client_msg_id, open_ids, open_id_count, state,
				msg_id, status, total_count, filter_count, sent_count, error_count)
				VALUES (2, ?, ?, ?, 10000, 'finished', ?, 'send success', 10000, 9990, 9980, 10)`,
				i, fmt.Sprintf("qunfa-2-%d", i), ids.String(), 5000000+i); err != nil {
				return err
			}
		}
		for _, id := range []int{1, 2} {
			for _, act := range []string{"history.created", "history.submitted", "history.finished"} {
				if _, err := db.Exec(`INSERT INTO send_history (send_id, at, action, detail) VALUES (?, ?, ?, '')`, id, at, act); err != nil {
					return err
				}
			}
		}
		return nil
	}})
	ta.setupAndLogin()
	paths := map[string]string{"one-batch": "/sends/1", "five-batches": "/sends/2"}
	interleaved(b, 5, []string{"one-batch", "five-batches"}, nil, func(b *testing.B, name string) {
		for i := 0; i < b.N; i++ {
			if r := ta.get(paths[name]); r.status != http.StatusOK {
				b.Fatalf("GET %s: %d", paths[name], r.status)
			}
		}
	})
}
