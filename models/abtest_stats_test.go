package models

import (
	"math"
	"testing"
)

// Against figures worked by hand: 200/1000 against 250/1000, pooled p̂ = 0.225,
// SE = √(0.225·0.775·0.002) = 0.018675, z = −0.05/0.018675 = −2.6774, p = 0.00742.
func TestTwoProportionZKnownValues(t *testing.T) {
	for _, tc := range []struct {
		ra, na, rb, nb int64
		z, p           float64
		verdict        string
	}{
		{200, 1000, 250, 1000, -2.6774, 0.00742, VerdictBBetter},
		{250, 1000, 200, 1000, 2.6774, 0.00742, VerdictABetter},
		// 30/300 against 40/300: p̂ = 0.11667, SE = 0.026207, z = −1.2717, p = 0.2034.
		{30, 300, 40, 300, -1.2717, 0.2034, VerdictNoDifference},
		// Equal rates: z = 0, p = 1.
		{50, 500, 50, 500, 0, 1, VerdictNoDifference},
		// Just significant: 100/1000 against 128/1000, p̂ = 0.114, SE = 0.014213, z = −1.9700, p = 0.0488.
		{100, 1000, 128, 1000, -1.9700, 0.0488, VerdictBBetter},
	} {
		got := TwoProportionZ(tc.ra, tc.na, tc.rb, tc.nb)
		if math.Abs(got.Z-tc.z) > 0.0005 || math.Abs(got.P-tc.p) > 0.0005 || got.Verdict != tc.verdict {
			t.Errorf("%d/%d vs %d/%d: z %.4f p %.5f %s; want z %.4f p %.5f %s",
				tc.ra, tc.na, tc.rb, tc.nb, got.Z, got.P, got.Verdict, tc.z, tc.p, tc.verdict)
		}
	}
}

// Halves too small for the normal approximation get no z and say so.
func TestTwoProportionZSmallSamples(t *testing.T) {
	for _, tc := range []struct{ ra, na, rb, nb int64 }{
		{10, 99, 40, 1000},    // too few sent in A
		{4, 1000, 40, 1000},   // too few readers in A
		{40, 1000, 997, 1000}, // too few non-readers in B
		{0, 0, 0, 0},
		{5, 100, 101, 100}, // more reads than sent: figures that do not belong together
	} {
		got := TwoProportionZ(tc.ra, tc.na, tc.rb, tc.nb)
		if got.Verdict != VerdictTooFew || got.Z != 0 || got.P != 0 {
			t.Errorf("%v: %+v, want too few", tc, got)
		}
	}
	// At the bounds the test runs.
	if got := TwoProportionZ(5, 100, 95, 100); got.Verdict != VerdictBBetter {
		t.Errorf("at the bounds: %+v", got)
	}
}
