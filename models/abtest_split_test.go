package models

import (
	"fmt"
	"slices"
	"testing"
)

func abIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		// Not in sorted order: the split sorts first.
		ids[i] = fmt.Sprintf("oAB%09d", (i*7919)%n)
	}
	return ids
}

// The same seed and audience give the same halves, whatever order the audience is read in;
// the halves are disjoint, of the size asked, and with the rest they are the whole audience.
func TestABSplitDeterministicDisjointComplete(t *testing.T) {
	for _, tc := range []struct{ n, pct, half int }{
		{1000, 50, 500}, {1001, 50, 500}, {1000, 10, 100}, {1000, 33, 330}, {5, 50, 2}, {7, 1, 0},
	} {
		ids := abIDs(tc.n)
		rev := slices.Clone(ids)
		slices.Reverse(rev)
		half := abHalfSize(tc.n, tc.pct)
		if half != tc.half {
			t.Fatalf("n %d pct %d: half %d, want %d", tc.n, tc.pct, half, tc.half)
		}
		s1 := splitAudience(slices.Clone(ids), half, 42)
		s2 := splitAudience(rev, half, 42)
		if !slices.Equal(s1.A, s2.A) || !slices.Equal(s1.B, s2.B) || !slices.Equal(s1.Rest, s2.Rest) {
			t.Fatalf("n %d: same seed, same audience, other halves", tc.n)
		}
		if len(s1.A) != half || len(s1.B) != half || len(s1.Rest) != tc.n-2*half {
			t.Fatalf("n %d pct %d: sizes %d/%d/%d", tc.n, tc.pct, len(s1.A), len(s1.B), len(s1.Rest))
		}
		all := append(append(slices.Clone(s1.A), s1.B...), s1.Rest...)
		slices.Sort(all)
		want := slices.Clone(ids)
		slices.Sort(want)
		if !slices.Equal(all, want) {
			t.Fatalf("n %d: halves and rest are not the audience, each once", tc.n)
		}
	}
}

// Another seed draws other halves; the draw is not the sorted order cut in pieces.
func TestABSplitSeedMatters(t *testing.T) {
	a := splitAudience(abIDs(1000), 100, 1)
	b := splitAudience(abIDs(1000), 100, 2)
	if slices.Equal(a.A, b.A) {
		t.Fatal("seeds 1 and 2 drew the same half A")
	}
	sorted := abIDs(1000)
	slices.Sort(sorted)
	if slices.Equal(a.A, sorted[:100]) || slices.Equal(a.A, sorted[900:]) {
		t.Fatal("half A is a slice of the sorted audience: not drawn at random")
	}
	// Each half holds about its share of each end of the sorted audience (a rough check of
	// uniformity: 100 of 1000, so about 50 from each half of the sorted order).
	low := 0
	for _, id := range a.A {
		if id < sorted[500] {
			low++
		}
	}
	if low < 30 || low > 70 {
		t.Fatalf("half A has %d of 100 from the lower half of the audience", low)
	}
}

// The draw is pinned: a change of generator or algorithm would re-draw every recorded test.
func TestABSplitPinned(t *testing.T) {
	s := splitAudience(abIDs(10), 2, 2026)
	got := fmt.Sprint(s.A, s.B)
	const want = "[oAB000000005 oAB000000008] [oAB000000002 oAB000000006]"
	if got != want {
		t.Fatalf("split of 10 with seed 2026: %s, want %s", got, want)
	}
}

// At 100,000 followers (and with -bench at 1,000,000) the split is a sort and a partial shuffle:
// n log n, not quadratic.
func TestABSplitAtScale(t *testing.T) {
	ids := abIDs(100_000)
	s := splitAudience(ids, abHalfSize(100_000, 20), 7)
	if len(s.A) != 20_000 || len(s.B) != 20_000 || len(s.Rest) != 60_000 {
		t.Fatalf("sizes %d/%d/%d", len(s.A), len(s.B), len(s.Rest))
	}
	both := append(slices.Clone(s.A), s.B...)
	slices.Sort(both)
	if len(slices.Compact(both)) != 40_000 {
		t.Fatal("halves overlap")
	}
	if got := minusSorted(s.Rest, both); len(got) != 60_000 {
		t.Fatalf("rest less the halves: %d", len(got))
	}
}

func TestMinusSorted(t *testing.T) {
	got := minusSorted([]string{"a", "b", "c", "d", "e"}, []string{"0", "b", "d", "z"})
	if !slices.Equal(got, []string{"a", "c", "e"}) {
		t.Fatalf("%v", got)
	}
}

// go test -run '^$' -bench ABSplit -benchtime 3x ./models/
func BenchmarkABSplit(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		ids := abIDs(n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				splitAudience(slices.Clone(ids), n/2, 9)
			}
		})
	}
}
