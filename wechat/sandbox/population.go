package sandbox

import (
	"math/rand/v2"
	"sync"
	"time"

	"qunfa/wechat"
)

// Group ids of the 2014 API: 0, 1 and 2 are system groups, custom ones start at 100 (§6.1).
const (
	GroupUngrouped int64 = 0   // 未分组
	GroupBlacklist int64 = 1   // 黑名单
	GroupStarred   int64 = 2   // 星标组
	GroupBeijing   int64 = 100 // 北京用户
	GroupShanghai  int64 = 101 // 上海用户
	GroupVIP       int64 = 102 // 老客户
	GroupTest      int64 = 103 // 测试组
	// AllFollowers asks OpenIDs for everyone.
	AllFollowers int64 = -1
)

// testGroupSize is the handful of members of 测试组, who never refuse messages,
// so a demo send to it is fully delivered.
const testGroupSize = 5

type groupDef struct {
	id   int64
	name string
	// share is the per-mille of the remaining followers drawn into the group.
	share int
}

var demoGroups = []groupDef{
	{GroupUngrouped, "未分组", 0}, // the rest
	{GroupBlacklist, "黑名单", 10},
	{GroupStarred, "星标组", 30},
	{GroupBeijing, "北京用户", 250},
	{GroupShanghai, "上海用户", 200},
	{GroupVIP, "老客户", 100},
	{GroupTest, "测试组", 0}, // fixed size
}

// refuseShare is the per-mille of followers who refuse the account's mass messages.
const refuseShare = 30

// The initial population subscribed between demoEpoch and demoUntil (or the sandbox's start,
// when that is earlier), in index order, so user/get's order is subscription order as on WeChat.
var (
	demoEpoch = time.Date(2013, 1, 1, 0, 0, 0, 0, beijing).Unix()
	demoUntil = time.Date(2026, 1, 1, 0, 0, 0, 0, beijing).Unix()
)

// population is the demo audience. A follower is an index k (0, 1, 2, … in order of
// subscription); the OpenID, group, refusal, language, scene and the initial population's
// subscribe time are pure functions of k, so 1,000,000 followers cost a bit each (who has left)
// and no OpenID is stored: an OpenID decodes back to its index. The same n gives the same
// OpenIDs. Only what changes over time sits behind mu.
type population struct {
	initial  int    // followers at start; later ones joined through Subscribe or growth
	mphelper string // FromUserName of MASSSENDJOBFINISH (the mass-send assistant)
	original string // ToUserName: the account's gh_ original id
	since    int64  // the initial population's subscribe times span [demoEpoch, since)

	mu     sync.RWMutex
	size   int           // indexes handed out: initial + every later subscriber
	gone   []uint64      // bit k: follower k unsubscribed
	left   int           // how many bits of gone are set
	joined []int64       // subscribe time of follower initial+i
	leaves []leave       // each unsubscription, in order (user analytics, datacube_user.go)
	counts map[int64]int // current followers per group
}

const openIDAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"

// mphelperIndex is never a follower's index: the mass-send assistant's OpenID is encoded from it.
const mphelperIndex = 1 << 62

// newPopulation builds n followers; start is when the sandbox starts (the initial population
// subscribed before it).
func newPopulation(n int, start time.Time) *population {
	rng := rand.New(rand.NewPCG(2014, 3)) // fixed: demo data must be reproducible
	p := &population{initial: n, size: n, mphelper: openIDOf(mphelperIndex), original: "gh_" + hex12(rng),
		since: min(demoUntil, start.Unix()), gone: make([]uint64, (n+63)/64), counts: map[int64]int{}}
	if p.since <= demoEpoch {
		p.since = demoEpoch + 86400
	}
	for k := range n {
		p.counts[groupOf(k)]++
	}
	return p
}

// Keys of the permutation that turns an index into an OpenID. Fixed: demo data is reproducible.
const (
	permKey1  = 0x9e3779b97f4a7c15
	permKey2  = 0x632be59bd9b4e019
	permMul1  = 0xbf58476d1ce4e5b9
	permMul2  = 0x94d049bb133111eb
	checkKey  = 0xd6e8feb86659fd93
	attrKey   = 0x2545f4914f6cdd1d
	permShift = 31
)

var permInv1, permInv2 = oddInverse(permMul1), oddInverse(permMul2)

// oddInverse is m⁻¹ mod 2⁶⁴ (m odd), by Newton's iteration.
func oddInverse(m uint64) uint64 {
	inv := m
	for range 5 {
		inv *= 2 - m*inv
	}
	return inv
}

// permute is a keyed bijection of uint64: consecutive indexes give unrelated-looking values.
func permute(x uint64) uint64 {
	x ^= permKey1
	x *= permMul1
	x ^= x >> permShift
	x *= permMul2
	x ^= x >> permShift
	return x + permKey2
}

func unpermute(y uint64) uint64 {
	y -= permKey2
	y = unxorshift(y, permShift)
	y *= permInv2
	y = unxorshift(y, permShift)
	y *= permInv1
	return y ^ permKey1
}

func unxorshift(y uint64, s uint) uint64 {
	x := y
	for range 64/s + 1 {
		x = y ^ x>>s
	}
	return x
}

// mix is splitmix64's finaliser: a hash of x.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// openIDOf encodes index k as "oV5Crj" and 22 characters (132 bits): 64 bits of the permuted
// index, 64 bits of a hash of them and 4 more, so a made-up OpenID does not decode.
func openIDOf(k int) string {
	hi := permute(uint64(k))
	lo := mix(hi ^ checkKey)
	b := make([]byte, 28)
	copy(b, "oV5Crj")
	x := hi
	for i := range 10 {
		b[6+i] = openIDAlphabet[x&63]
		x >>= 6
	}
	b[16] = openIDAlphabet[x|(lo&3)<<4] // hi's last 4 bits, lo's first 2
	y := lo >> 2
	for i := range 10 {
		b[17+i] = openIDAlphabet[y&63]
		y >>= 6
	}
	b[27] = openIDAlphabet[y|(lo>>58&15)<<2] // lo's last 2 bits, then 4 of its bits again
	return string(b)
}

var alphabetIndex = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := range len(openIDAlphabet) {
		t[openIDAlphabet[i]] = int8(i)
	}
	return t
}()

// indexOf decodes an OpenID made by openIDOf; ok is false for anything else.
func indexOf(id string) (int, bool) {
	if len(id) != 28 || id[:6] != "oV5Crj" {
		return 0, false
	}
	var v [22]uint64
	for i := range 22 {
		c := alphabetIndex[id[6+i]]
		if c < 0 {
			return 0, false
		}
		v[i] = uint64(c)
	}
	var hi, y uint64
	for i := 9; i >= 0; i-- {
		hi = hi<<6 | v[i]
	}
	hi |= (v[10] & 15) << 60
	for i := 9; i >= 0; i-- {
		y = y<<6 | v[11+i]
	}
	lo := (v[10] >> 4) | y<<2 | (v[21]&3)<<62
	if lo != mix(hi^checkKey) || v[21]>>2 != lo>>58&15 {
		return 0, false
	}
	k := unpermute(hi)
	if k >= mphelperIndex {
		return 0, false
	}
	return int(k), true
}

// attrs is follower k's hash, from which its group, refusal and profile are drawn.
func attrs(k int) uint64 { return mix(uint64(k) ^ attrKey) }

// groupOf is follower k's group: 测试组 for the first 5, else drawn by the groups' shares.
func groupOf(k int) int64 {
	if k < testGroupSize {
		return GroupTest
	}
	x := int(attrs(k) % 1000)
	for _, g := range demoGroups {
		if x < g.share {
			return g.id
		}
		x -= g.share
	}
	return GroupUngrouped
}

// refuses: about 3% of followers (none of 测试组) refuse the account's mass messages.
func refuses(k int) bool { return k >= testGroupSize && attrs(k)>>10%1000 < refuseShare }

// language is the follower's WeChat language: mostly zh_CN, some en and zh_TW.
func language(k int) string {
	switch x := attrs(k) >> 20 % 100; {
	case x < 90:
		return "zh_CN"
	case x < 96:
		return "en"
	default:
		return "zh_TW"
	}
}

var subscribeScenes = []string{"ADD_SCENE_SEARCH", "ADD_SCENE_QR_CODE", "ADD_SCENE_PROFILE_CARD",
	"ADD_SCENE_ACCOUNT_MIGRATION", "ADD_SCENE_WECHAT_ADVERTISEMENT", "ADD_SCENE_OTHERS"}

func scene(k int) string { return subscribeScenes[attrs(k)>>27%uint64(len(subscribeScenes))] }

// remarks: about 2% of followers carry the operator's note.
var remarks = []string{"老客户", "合作伙伴", "媒体", "内部员工"}

func remark(k int) string {
	if x := attrs(k) >> 33 % 200; x < uint64(len(remarks)) {
		return remarks[x]
	}
	return ""
}

func hex12(rng *rand.Rand) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 12)
	for i := range b {
		b[i] = digits[rng.IntN(16)]
	}
	return string(b)
}

func (p *population) groupExists(id int64) bool {
	for _, g := range demoGroups {
		if g.id == id {
			return true
		}
	}
	return false
}

// lookup decodes an OpenID to a follower's index: known is false when it was never one;
// subscribed tells whether it still is.
func (p *population) lookup(id string) (k int, known, subscribed bool) {
	k, ok := indexOf(id)
	if !ok {
		return 0, false, false
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if k >= p.size {
		return 0, false, false
	}
	return k, true, !p.isGone(k)
}

// follower reports whether id is a current follower, and its index.
func (p *population) follower(id string) (int, bool) {
	k, _, sub := p.lookup(id)
	return k, sub
}

// subscribed reports whether follower k is still one.
func (p *population) subscribed(k int) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return k < p.size && !p.isGone(k)
}

// isGone: caller holds mu.
func (p *population) isGone(k int) bool { return p.gone[k>>6]&(1<<(k&63)) != 0 }

// subscribeTime is when follower k subscribed: spread over the years before the sandbox started
// for the initial population (a little later for each index), the moment they joined for others.
func (p *population) subscribeTime(k int) int64 {
	if k >= p.initial {
		p.mu.RLock()
		defer p.mu.RUnlock()
		return p.joined[k-p.initial]
	}
	span := p.since - demoEpoch
	step := span / int64(p.initial)
	t := demoEpoch + int64(k)*span/int64(p.initial)
	if step > 1 {
		t += int64(attrs(k) >> 40 % uint64(step))
	}
	return t
}

// total is the number of current followers.
func (p *population) total() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.size - p.left
}

// page returns up to limit current followers of a group (AllFollowers → everyone) after index
// from (-1 = from the top), in index order. Followers only join at the end, so a cursor stays
// valid whoever subscribes or leaves between pages.
func (p *population) page(groupID int64, from, limit int) []int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make([]int, 0, min(limit, 1024))
	for k := from + 1; k < p.size && len(out) < limit; k++ {
		if w := p.gone[k>>6]; w == ^uint64(0) && k&63 == 0 {
			k += 63 // a whole word left
			continue
		}
		if !p.isGone(k) && (groupID == AllFollowers || groupOf(k) == groupID) {
			out = append(out, k)
		}
	}
	return out
}

// members returns the indexes of a group's current followers (AllFollowers → everyone).
func (p *population) members(groupID int64) []int {
	return p.page(groupID, -1, int(^uint(0)>>1))
}

func (p *population) groups() []wechat.Group {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make([]wechat.Group, 0, len(demoGroups))
	for _, g := range demoGroups {
		out = append(out, wechat.Group{ID: g.id, Name: g.name, Count: p.counts[g.id]})
	}
	return out
}

// add makes n new followers who subscribed at the given times (one each) and returns their indexes.
func (p *population) add(at []int64) []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]int, len(at))
	for i, t := range at {
		k := p.size
		p.size++
		if len(p.gone)*64 < p.size {
			p.gone = append(p.gone, 0)
		}
		p.joined = append(p.joined, t)
		p.counts[groupOf(k)]++
		out[i] = k
	}
	return out
}

// remove marks followers as unsubscribed at at; every one must be a current follower.
func (p *population) remove(ks []int, at int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, k := range ks {
		if p.isGone(k) {
			continue
		}
		p.leaves = append(p.leaves, leave{k, at})
		p.gone[k>>6] |= 1 << (k & 63)
		p.left++
		p.counts[groupOf(k)]--
	}
}

// indexes is how many followers there have ever been (the next index).
func (p *population) indexes() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.size
}

// tagIDs are the groups that exist as tags on today's API: 星标组 (a system tag) and the custom ones.
func isTag(id int64) bool { return id == GroupStarred || id >= 100 }
