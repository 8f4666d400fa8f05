package sandbox

import (
	"math/rand/v2"

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

type follower struct {
	openID  string
	groupID int64
	refuses bool // counted in TotalCount but never delivered (ErrorCount)
}

// population is the deterministic demo audience.
type population struct {
	followers []follower
	index     map[string]int // openid → position in followers
	mphelper  string         // FromUserName of MASSSENDJOBFINISH (the mass-send assistant)
	original  string         // ToUserName: the account's gh_ original id
}

const openIDAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"

// newPopulation builds n followers from a fixed seed: the same n always gives the same OpenIDs.
func newPopulation(n int) *population {
	rng := rand.New(rand.NewPCG(2014, 3)) // fixed: demo data must be reproducible
	p := &population{index: make(map[string]int, n)}
	newID := func() string {
		for {
			b := []byte("oV5Crj") // one account's OpenIDs share a prefix; 28 chars in all
			for len(b) < 28 {
				b = append(b, openIDAlphabet[rng.IntN(len(openIDAlphabet))])
			}
			id := string(b)
			if _, dup := p.index[id]; !dup && id != p.mphelper {
				return id
			}
		}
	}
	p.mphelper = newID()
	p.original = "gh_" + hex12(rng)
	p.followers = make([]follower, 0, n)
	for i := range n {
		f := follower{openID: newID()}
		if i < testGroupSize {
			f.groupID = GroupTest
		} else {
			f.groupID = drawGroup(rng)
			f.refuses = rng.IntN(1000) < refuseShare
		}
		p.index[f.openID] = len(p.followers)
		p.followers = append(p.followers, f)
	}
	return p
}

func drawGroup(rng *rand.Rand) int64 {
	x := rng.IntN(1000)
	for _, g := range demoGroups {
		if x < g.share {
			return g.id
		}
		x -= g.share
	}
	return GroupUngrouped
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

// members returns the positions of a group's followers (AllFollowers → everyone).
func (p *population) members(groupID int64) []int {
	var out []int
	for i, f := range p.followers {
		if groupID == AllFollowers || f.groupID == groupID {
			out = append(out, i)
		}
	}
	return out
}

func (p *population) groups() []wechat.Group {
	counts := map[int64]int{}
	for _, f := range p.followers {
		counts[f.groupID]++
	}
	out := make([]wechat.Group, 0, len(demoGroups))
	for _, g := range demoGroups {
		out = append(out, wechat.Group{ID: g.id, Name: g.name, Count: counts[g.id]})
	}
	return out
}

// tagIDs are the groups that exist as tags on today's API: 星标组 (a system tag) and the custom ones.
func isTag(id int64) bool { return id == GroupStarred || id >= 100 }
