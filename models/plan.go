package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
)

// SendInput is the send form.
type SendInput struct {
	DraftID uint
	Target  TargetKind
	GroupID int64
	OpenIDs string // raw pasted text
	Key     string // idempotency key from the form
	// IncludeCapped sends an OpenID list to its followers already at the monthly cap too; by
	// default (false) they are left out.
	IncludeCapped bool
	// CatchUpOf makes this a catch-up (补发) of that finished send: its articles as sent, to the
	// followers who subscribed after it and have not received it (catchup.go). DraftID, Target
	// and OpenIDs are then taken from it.
	CatchUpOf uint
	// AudienceID is the saved audience an OpenID list was resolved from (0: none), recorded
	// with the send for the history's filter; it changes nothing of what is sent.
	AudienceID uint
}

// PlannedCall is one line of the plan: an endpoint and how many calls to it. An Uncounted line
// (a cover uploaded as a permanent material) is shown but uses no daily quota: it is not in
// CallsNeeded and nothing is reserved for it.
type PlannedCall struct {
	Endpoint  string
	Count     int
	Uncounted bool
}

// Plan is what a send will cost and reach, shown before the operator confirms.
type Plan struct {
	Calls          []PlannedCall
	CallsNeeded    int
	QuotaLeft      int
	Recipients     int // the synced table's subscribed members (else WeChat's group counts) / the list's OpenIDs sent to
	Batches        int
	Everyone       bool // needs a second confirmation
	OpenIDProblems []OpenIDProblem
	GroupName      string

	// The monthly cap, from Qunfa's own records (sends made in the WeChat
	// backend are not seen): how many mass messages this audience has had this
	// Beijing month, and how many recipients are already at the cap — WeChat
	// will not deliver to them and counts them as errors.
	MonthlyCap        int
	ReceivedThisMonth int
	OverCap           int

	// From the synced followers table and the monthly ledger (ledger.go, monthly.go).
	// FollowersKnown is false until a sync has filled the table: Recipients is then WeChat's
	// group counts, and OverCap the lower bound above.
	FollowersKnown bool
	Refusers       int // recipients known to refuse mass messages (blacklisted)
	// LeftOut is how many of an OpenID list's followers already at the cap were left out
	// (IncludeCapped false); Recipients, Batches and the calls are for the rest.
	LeftOut       int
	IncludeCapped bool
	CatchUpOf     uint
	// NeedsApproval: the four-eyes rule holds this send for another admin's approval (approval.go).
	NeedsApproval bool
}

// maxOpenIDsPerCall is WeChat's touser limit for message/mass/send.
const maxOpenIDsPerCall = 10000

// planned is a Plan plus what StartSend needs to create the send.
type planned struct {
	Plan
	profile Settings // the API profile the send is planned under
	draftID uint
	title   string         // the first article's title
	arts    []ArticleInput // what is sent: the draft now, or a catch-up's first send as sent
	target  TargetKind
	openIDs []string
}

// PlanSend checks the target and computes the calls a send needs. It returns *ValidationError when the
// target is invalid (with the plan's OpenIDProblems filled in), and ErrQuotaExceeded — with the plan —
// when the calls needed exceed today's quota left.
func (s *Service) PlanSend(ctx context.Context, in SendInput) (_ Plan, err error) {
	defer wrap(&err, "plan send of draft %d", in.DraftID)
	p, err := s.plan(ctx, in)
	return p.Plan, err
}

func (s *Service) plan(ctx context.Context, in SendInput) (planned, error) {
	var p planned
	var err error
	p.IncludeCapped, p.CatchUpOf = in.IncludeCapped, in.CatchUpOf
	if in.CatchUpOf != 0 {
		if in, err = s.catchUpInput(ctx, &p, in); err != nil {
			return p, err
		}
	} else {
		d, err := s.Draft(ctx, in.DraftID)
		if err != nil {
			return p, err
		}
		p.draftID, p.arts = d.ID, snapshot(d)
		if len(d.Articles) > 0 {
			p.title = d.Articles[0].Title
		}
	}
	p.target = in.Target
	if p.profile, err = s.profile(ctx); err != nil {
		return p, err
	}
	if len(p.arts) > p.profile.MaxArticles {
		// A draft written under a roomier profile: the operator trims it first.
		return p, fieldError("draft", "err.too_many_articles_to_send")
	}

	switch in.Target {
	case TargetAll:
		p.Everyone = true
		p.Batches = 1
		// The follower total is only an estimate for the confirmation page: a failure to fetch it
		// must not stop a send to everyone.
		if groups, _, err := s.audiences(ctx, p.profile.Audience); err != nil {
			s.log.Warn("groups unavailable for the recipient estimate", "err", redact(err.Error()))
		} else {
			for _, g := range groups {
				p.Recipients += g.Count
			}
		}
	case TargetGroup:
		groups, _, err := s.audiences(ctx, p.profile.Audience)
		if err != nil {
			return p, err
		}
		found := false
		for _, g := range groups {
			if g.ID == in.GroupID {
				found, p.GroupName, p.Recipients = true, g.Name, g.Count
				break
			}
		}
		if !found {
			return p, fieldError("group", "err.group_not_found")
		}
		p.Batches = 1
	case TargetOpenIDs:
		if in.CatchUpOf == 0 {
			p.openIDs, p.OpenIDProblems = ParseOpenIDs(in.OpenIDs)
		}
		if len(p.openIDs) < 2 {
			return p, fieldError("openids", "err.openids_too_few")
		}
	default:
		return p, fieldError("target", "err.target_invalid")
	}

	if err := s.monthlyUse(ctx, &p, in.GroupID); err != nil {
		return p, err
	}
	if in.Target == TargetOpenIDs {
		// After the followers at their cap were left out: the rest is what is sent.
		p.Recipients = len(p.openIDs)
		p.Batches = (len(p.openIDs) + maxOpenIDsPerCall - 1) / maxOpenIDsPerCall
		if len(p.openIDs) < 2 {
			if p.LeftOut > 0 {
				return p, fieldError("openids", "err.openids_too_few_after_cap")
			}
			return p, fieldError("openids", "err.openids_too_few")
		}
	}
	src := s.sourceFor(p.profile.UploadPath)
	needs, err := s.uploadsNeeded(ctx, src, p.arts)
	if err != nil {
		return p, err
	}
	if needs.thumbs > 0 {
		p.Calls = append(p.Calls, PlannedCall{Endpoint: src.coverEndpoint(), Count: needs.thumbs, Uncounted: !src.coverCounted()})
	}
	news := src.newsCalls(p.Batches, needs.fresh)
	if news > 0 {
		p.Calls = append(p.Calls, PlannedCall{Endpoint: src.newsEndpoint(), Count: news})
	}
	p.Calls = append(p.Calls, PlannedCall{Endpoint: sendEndpoint(in.Target), Count: p.Batches})
	p.CallsNeeded = needs.counted(src) + news + p.Batches
	rule, err := s.ApprovalRule(ctx)
	if err != nil {
		return p, err
	}
	p.NeedsApproval = rule.Needs(p.Plan)
	if p.QuotaLeft, err = s.quotaLeftFor(ctx, p.countedEndpoints()...); err != nil {
		return p, err
	}
	if p.CallsNeeded > p.QuotaLeft {
		return p, ErrQuotaExceeded
	}
	return p, nil
}

func sendEndpoint(t TargetKind) string {
	if t == TargetOpenIDs {
		return EndpointSend
	}
	return EndpointSendAll
}

// snapshot freezes a draft's articles at StartSend, so later edits cannot change a queued send.
// It is stored as JSON in sends.articles_json: an ArticleInput's field names are that format
// (Title, Author, Digest, Content, SourceURL, ShowCoverPic, ThumbID — the thumb by id, 0: none),
// so rows written before it took this type load unchanged (TestSnapshotFormatIsStable).
func snapshot(d Draft) []ArticleInput {
	out := make([]ArticleInput, 0, len(d.Articles))
	for _, a := range d.Articles {
		in := ArticleInput{Title: a.Title, Author: a.Author, Digest: a.Digest, Content: a.Content,
			SourceURL: a.SourceURL, ShowCoverPic: a.ShowCoverPic}
		if a.ThumbID != nil {
			in.ThumbID = *a.ThumbID
		}
		out = append(out, in)
	}
	return out
}

// distinctThumbs lists the thumb ids of the articles, first use first.
func distinctThumbs(arts []ArticleInput) []uint {
	seen := map[uint]bool{}
	var ids []uint
	for _, a := range arts {
		if a.ThumbID != 0 && !seen[a.ThumbID] {
			seen[a.ThumbID] = true
			ids = append(ids, a.ThumbID)
		}
	}
	return ids
}

// uploadNeeds is what a draft's content needs before a mass send or a preview can name it.
type uploadNeeds struct {
	thumbs int  // covers to upload: temporary media (seed's path) or permanent materials (draft path)
	fresh  bool // a news media id of exactly this content is usable now
}

// counted is how many of the uploads use the daily quota (the news call aside): a permanent
// material is not a mass-send call.
func (n uploadNeeds) counted(src newsSource) int {
	if !src.coverCounted() {
		return 0
	}
	return n.thumbs
}

// uploadsNeeded counts cover uploads (covers without a usable media id from src) and whether a
// usable news media id exists for exactly this content with these cover ids.
func (s *Service) uploadsNeeded(ctx context.Context, src newsSource, arts []ArticleInput) (uploadNeeds, error) {
	var needs uploadNeeds
	now := s.now()
	mediaIDs := map[uint]string{}
	for _, id := range distinctThumbs(arts) {
		t, err := s.pipe.Thumb(ctx, id, false)
		if err != nil {
			return needs, fmt.Errorf("models: thumb %d: %w", id, err)
		}
		if mid, ok := src.cover(t, now); ok {
			mediaIDs[id] = mid
		} else {
			needs.thumbs++
		}
	}
	if needs.thumbs > 0 {
		return needs, nil // new cover media ids make new news content
	}
	_, ok, err := src.freshNews(ctx, newsHash(newsArticles(arts, mediaIDs)))
	needs.fresh = ok
	return needs, err
}

func newsArticles(arts []ArticleInput, thumbMedia map[uint]string) []NewsArticle {
	out := make([]NewsArticle, 0, len(arts))
	for _, a := range arts {
		out = append(out, NewsArticle{ThumbMediaID: thumbMedia[a.ThumbID], Author: a.Author, Title: a.Title,
			SourceURL: a.SourceURL, Content: a.Content, Digest: a.Digest, ShowCoverPic: a.ShowCoverPic})
	}
	return out
}

// newsHash identifies uploadnews content (thumb media ids included).
func newsHash(arts []NewsArticle) string {
	b, _ := json.Marshal(arts) // plain strings and bools: cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// redact removes access tokens from text that may end up in logs or the database.
func redact(s string) string {
	const k = "access_token="
	var b strings.Builder
	for {
		i := strings.Index(s, k)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i+len(k)])
		s = s[i+len(k):]
		end := strings.IndexAny(s, "&\" \n")
		if end < 0 {
			end = len(s)
		}
		if end > 0 {
			b.WriteString("REDACTED")
		}
		s = s[end:]
	}
}
