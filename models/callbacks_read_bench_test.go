package models

import (
	"context"
	"testing"
)

// BenchmarkJobFinishedStore is the store's part of a MASSSENDJOBFINISH push: the record of a
// new msg_id (a write transaction) and the read that answers a repeat.
//
//	go test -run '^$' -bench BenchmarkJobFinishedStore -benchtime 2000x ./models/
func BenchmarkJobFinishedStore(b *testing.B) {
	ctx := context.Background()
	st, err := Open(b.TempDir() + "/q.db")
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	svc := NewService(st, nil, Rules{}, nil)
	b.Run("record-new", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := svc.RecordJobFinished(ctx, JobFinished{MsgID: int64(1000 + i), Status: "send success", Total: 3}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("read-repeat", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, ok, err := svc.JobFinishedRecorded(ctx, 1000); err != nil || !ok {
				b.Fatal(ok, err)
			}
		}
	})
}
