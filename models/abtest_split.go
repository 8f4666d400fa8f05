package models

import (
	"math/bits"
	"math/rand/v2"
	"slices"
)

// An A/B test's split is a seeded draw: the audience's OpenIDs sorted (in Go, so the order does not
// depend on a database's collation), then the first 2·half positions of a Fisher–Yates shuffle
// driven by PCG-DXSM seeded with the test's recorded seed. The same seed and the same audience
// always give the same halves; only the drawn positions are shuffled, so a small test of a large
// audience costs the sort, not a full shuffle.

// abSplitStream is the PCG's second word: fixed, so the recorded seed alone decides the draw.
const abSplitStream = 0x9e3779b97f4a7c15

// ABSplit is one draw: halves A and B (sorted) and the rest of the audience (sorted).
type ABSplit struct {
	A, B, Rest []string
}

// abHalfSize is each half's size for a share of pct percent per half (1–50) of n followers.
func abHalfSize(n, pct int) int {
	if pct >= 50 {
		return n / 2
	}
	return n * pct / 100
}

// splitAudience draws halves of size half from ids (sorted in place first) with seed.
// 2·half must not exceed len(ids).
func splitAudience(ids []string, half int, seed uint64) ABSplit {
	slices.Sort(ids)
	ids = slices.Compact(ids)
	r := rand.New(rand.NewPCG(seed, abSplitStream))
	drawn := min(2*half, len(ids))
	for i := range drawn {
		j := i + int(uniformBelow(r, uint64(len(ids)-i)))
		ids[i], ids[j] = ids[j], ids[i]
	}
	out := ABSplit{
		A:    slices.Clone(ids[:drawn/2]),
		B:    slices.Clone(ids[drawn/2 : drawn]),
		Rest: ids[drawn:],
	}
	slices.Sort(out.A)
	slices.Sort(out.B)
	slices.Sort(out.Rest)
	return out
}

// uniformBelow is an unbiased draw in [0, n) (Lemire's multiply-and-reject), written out here
// rather than taken from math/rand so the split never changes with the standard library's.
func uniformBelow(r *rand.Rand, n uint64) uint64 {
	hi, lo := bits.Mul64(r.Uint64(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(r.Uint64(), n)
		}
	}
	return hi
}

// minusSorted returns the members of sorted a that are not in sorted b (a merge walk: no map
// of a million OpenIDs).
func minusSorted(a, b []string) []string {
	out := make([]string, 0, len(a))
	j := 0
	for _, x := range a {
		for j < len(b) && b[j] < x {
			j++
		}
		if j < len(b) && b[j] == x {
			continue
		}
		out = append(out, x)
	}
	return out
}
