package models

import "math"

// The read rates of an A/B test's halves are compared with the pooled two-proportion z-test,
// two-sided: z = (pA − pB) / √(p̂(1−p̂)(1/nA + 1/nB)) with p̂ the pooled rate, and the p-value
// 2·(1 − Φ(|z|)) = erfc(|z|/√2).

// Verdicts of an A/B test (catalogue keys).
const (
	VerdictBBetter      = "abtest.verdict.b_better"
	VerdictABetter      = "abtest.verdict.a_better"
	VerdictNoDifference = "abtest.verdict.none"
	VerdictTooFew       = "abtest.verdict.too_few"
)

// The smallest half the normal approximation is trusted for: at least ABMinSent recipients who
// got the message, and at least ABMinReads readers and as many non-readers in each half.
const (
	ABMinSent  = 100
	ABMinReads = 5
	// abAlpha is the level the verdicts state their 95% confidence at.
	abAlpha = 0.05
)

// ZTest is the comparison of two halves' read rates.
type ZTest struct {
	Z, P    float64
	Verdict string // one of the Verdict… keys
}

// TwoProportionZ compares readsA/sentA with readsB/sentB. A negative z means B reads better.
// Halves too small for the approximation get VerdictTooFew and no z.
func TwoProportionZ(readsA, sentA, readsB, sentB int64) ZTest {
	if !enoughForZ(readsA, sentA) || !enoughForZ(readsB, sentB) {
		return ZTest{Verdict: VerdictTooFew}
	}
	pa, pb := float64(readsA)/float64(sentA), float64(readsB)/float64(sentB)
	pooled := float64(readsA+readsB) / float64(sentA+sentB)
	se := math.Sqrt(pooled * (1 - pooled) * (1/float64(sentA) + 1/float64(sentB)))
	z := (pa - pb) / se
	out := ZTest{Z: z, P: math.Erfc(math.Abs(z) / math.Sqrt2)}
	switch {
	case out.P >= abAlpha:
		out.Verdict = VerdictNoDifference
	case z < 0:
		out.Verdict = VerdictBBetter
	default:
		out.Verdict = VerdictABetter
	}
	return out
}

func enoughForZ(reads, sent int64) bool {
	return sent >= ABMinSent && reads >= ABMinReads && sent-reads >= ABMinReads && reads <= sent
}
