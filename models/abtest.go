package models

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// An A/B title test (issue 9 §4) splits an audience at random into two halves (abtest_split.go)
// and sends the draft to one and a copy with another first-article title or cover to the other:
// two OpenID-list sends through StartSend, so each is planned, capped, counted against the quota
// and held for approval like any send. Once its time has come the page compares the halves'
// read rates (abtest_stats.go); the better variant can then go to the rest of the audience.

// Audience kinds an A/B test can split.
const (
	ABAudienceAll   = "all"   // every subscribed follower of the synced table
	ABAudienceGroup = "group" // a 2014 group of the synced table
	ABAudienceTag   = "tag"   // one of today's tags
	ABAudienceSaved = "saved" // a saved audience (audiences.go)
)

// Limits of the form.
const (
	ABMaxSharePct   = 50        // each half's share: 50 is the whole audience in two halves
	ABMaxJudgeHours = 30 * 24   // judge at most 30 days on
	abMaxAudience   = 2_000_000 // what one test may draw from (a million followers and more)
)

// ABTestInput is the A/B form.
type ABTestInput struct {
	DraftID uint
	// Audience is "all", "group:ID" (a group or tag, as the API profile says) or "saved:ID".
	Audience   string
	TitleB     string // "" keeps the draft's first title (a cover test)
	CoverB     uint   // a thumb for variant B's first article; 0 keeps the draft's
	SharePct   int    // each half's share of the audience, 1–50
	JudgeHours int    // hours after the sends are made when the page judges them
	Key        string // idempotency key of the form
}

// ABTest is one test as recorded.
type ABTest struct {
	ID                     uint
	DraftAID, DraftBID     uint
	TitleA, TitleB         string
	CoverB                 bool
	AudienceKind           string
	AudienceRef            int64
	AudienceName           string
	AudienceSize, HalfSize int
	SharePct               int
	Seed                   uint64
	SendAID, SendBID       uint
	JudgeAt                time.Time
	Winner                 string // "A", "B" once the winner was sent to the rest
	WinnerSendID           uint
	OperatorID             uint
	CreatedAt              time.Time
}

// Rest is how many of the audience were in neither half when it was drawn.
func (t ABTest) Rest() int { return t.AudienceSize - 2*t.HalfSize }

type abTestRow struct {
	ID           uint `gorm:"primaryKey"`
	IdemKey      string
	DraftAID     uint `gorm:"column:draft_a_id"`
	DraftBID     uint `gorm:"column:draft_b_id"`
	TitleA       string
	TitleB       string
	CoverB       bool `gorm:"column:cover_b"`
	AudienceKind string
	AudienceRef  int64
	AudienceName string
	AudienceSize int
	SharePct     int
	HalfSize     int
	Seed         int64 // the uint64 seed's bits
	SendAID      uint  `gorm:"column:send_a_id"`
	SendBID      uint  `gorm:"column:send_b_id"`
	JudgeAt      time.Time
	Winner       string
	WinnerSendID uint
	OperatorID   uint
	CreatedAt    time.Time
}

func (abTestRow) TableName() string { return "ab_tests" }

func (r abTestRow) test() ABTest {
	return ABTest{ID: r.ID, DraftAID: r.DraftAID, DraftBID: r.DraftBID, TitleA: r.TitleA, TitleB: r.TitleB,
		CoverB: r.CoverB, AudienceKind: r.AudienceKind, AudienceRef: r.AudienceRef, AudienceName: r.AudienceName,
		AudienceSize: r.AudienceSize, HalfSize: r.HalfSize, SharePct: r.SharePct, Seed: uint64(r.Seed),
		SendAID: r.SendAID, SendBID: r.SendBID, JudgeAt: r.JudgeAt, Winner: r.Winner, WinnerSendID: r.WinnerSendID,
		OperatorID: r.OperatorID, CreatedAt: r.CreatedAt}
}

// abAudience is a parsed audience choice.
type abAudience struct {
	kind string
	ref  int64
	name string
}

// parseABAudience reads the form's audience choice ("all", "group:ID", "saved:ID").
func (s *Service) parseABAudience(ctx context.Context, v string) (abAudience, error) {
	kind, ref, _ := strings.Cut(strings.TrimSpace(v), ":")
	id, err := strconv.ParseInt(ref, 10, 64)
	switch {
	case kind == ABAudienceAll && ref == "":
		return abAudience{kind: ABAudienceAll}, nil
	case kind == "group" && err == nil:
		p, err := s.profile(ctx)
		if err != nil {
			return abAudience{}, err
		}
		out := abAudience{kind: ABAudienceGroup, ref: id}
		if p.Audience == AudienceTags {
			out.kind = ABAudienceTag
		}
		// The name for the page; the members come from the synced table, not from WeChat.
		groups, _, err := s.audiences(ctx, p.Audience)
		if err != nil {
			return abAudience{}, err
		}
		for _, g := range groups {
			if g.ID == id {
				out.name = g.Name
				return out, nil
			}
		}
		return abAudience{}, fieldError("audience", "err.group_not_found")
	case kind == ABAudienceSaved && err == nil && id > 0:
		a, err := s.SavedAudience(ctx, uint(id))
		if errors.Is(err, ErrNotFound) {
			return abAudience{}, fieldError("audience", "err.audience_gone")
		}
		return abAudience{kind: ABAudienceSaved, ref: id, name: a.Name}, err
	}
	return abAudience{}, fieldError("audience", "err.abtest_audience")
}

// abAudienceIDs is every OpenID the audience holds now, from the synced followers table (or a
// saved audience's members).
func (s *Service) abAudienceIDs(ctx context.Context, a abAudience) ([]string, error) {
	var q string
	var args []any
	switch a.kind {
	case ABAudienceAll:
		q = `SELECT open_id FROM followers WHERE subscribed = 1`
	case ABAudienceGroup:
		q, args = `SELECT open_id FROM followers WHERE subscribed = 1 AND group_id = ?`, []any{a.ref}
	case ABAudienceTag:
		q, args = `SELECT f.open_id FROM follower_tags t JOIN followers f ON f.open_id = t.open_id
			WHERE t.tag_id = ? AND f.subscribed = 1`, []any{a.ref}
	case ABAudienceSaved:
		au, err := s.SavedAudience(ctx, uint(a.ref))
		if err != nil {
			return nil, err
		}
		q, args = s.audienceSelect(au)
	default:
		return nil, fmt.Errorf("models: audience kind %q", a.kind)
	}
	// In key order (the indexes give it for free on SQLite): the split sorts again in Go, which
	// is then a linear pass, and the order never depends on a database's collation.
	var ids []string
	err := s.store.db(ctx).Raw(`SELECT open_id FROM (`+q+`) AS audience ORDER BY open_id`, args...).Scan(&ids).Error
	return ids, err
}

// validABInput checks the form and returns variant B's first title.
func validABInput(in ABTestInput, titleA string) (string, error) {
	fe := FieldErrors{}
	titleB := strings.TrimSpace(in.TitleB)
	switch {
	case utf8.RuneCountInString(titleB) > LimitTitle:
		fe["title_b"] = "err.title_too_long"
	case titleB == "" && in.CoverB == 0:
		fe["title_b"] = "err.abtest_no_change"
	case titleB == titleA && in.CoverB == 0:
		fe["title_b"] = "err.abtest_same_title"
	}
	if titleB == "" {
		titleB = titleA
	}
	if in.SharePct < 1 || in.SharePct > ABMaxSharePct {
		fe["share"] = "err.abtest_share"
	}
	if in.JudgeHours < 0 || in.JudgeHours > ABMaxJudgeHours {
		fe["judge_hours"] = "err.abtest_judge_hours"
	}
	return titleB, fe.orNil()
}

// CreateABTest draws the halves and starts both sends, with the test's record, in one
// transaction: either the whole test is made or nothing is (a quota too small for both halves
// refuses the test, not half of it). The same Key again returns the test made for it.
func (s *Service) CreateABTest(ctx context.Context, in ABTestInput, operatorID uint) (_ ABTest, err error) {
	defer wrap(&err, "create A/B test of draft %d", in.DraftID)
	key := normaliseKey("abtest:" + strings.TrimSpace(in.Key))
	if strings.TrimSpace(in.Key) == "" {
		key = normaliseKey("")
	}
	if t, ok, err := s.abTestByKey(ctx, key); err != nil || ok {
		return t, err
	}
	d, err := s.Draft(ctx, in.DraftID)
	if err != nil {
		return ABTest{}, err
	}
	if len(d.Articles) == 0 {
		return ABTest{}, fieldError("draft", "err.abtest_empty_draft")
	}
	titleA := d.Articles[0].Title
	titleB, err := validABInput(in, titleA)
	if err != nil {
		return ABTest{}, err
	}
	aud, err := s.parseABAudience(ctx, in.Audience)
	if err != nil {
		return ABTest{}, err
	}
	ids, err := s.abAudienceIDs(ctx, aud)
	if err != nil {
		return ABTest{}, err
	}
	if len(ids) == 0 && aud.kind != ABAudienceSaved {
		return ABTest{}, fieldError("audience", "err.abtest_followers_unknown")
	}
	if len(ids) > abMaxAudience {
		return ABTest{}, fieldError("audience", "err.abtest_audience_too_large")
	}
	size := len(ids)
	half := abHalfSize(size, in.SharePct)
	if half < 2 { // mass/send takes two OpenIDs at least
		return ABTest{}, fieldError("audience", "err.abtest_audience_too_small")
	}
	seed := newABSeed()
	split := splitAudience(ids, half, seed)
	size = len(split.A) + len(split.B) + len(split.Rest) // duplicates (a list's) counted once

	arts := snapshot(d)
	arts[0].Title = titleB
	if in.CoverB != 0 {
		arts[0].ThumbID = in.CoverB
	}
	var row abTestRow
	err = s.store.inTx(ctx, func(ctx context.Context) error {
		if t, ok, err := s.abTestByKey(ctx, key); err != nil || ok {
			row.ID = t.ID
			return err
		}
		// Variant B is a draft of its own (a copy with its changes): what it sends is seen and
		// kept like any draft's.
		db, err := s.SaveDraft(ctx, 0, DraftInput{Articles: arts}, operatorID)
		if err != nil {
			return err
		}
		sa, err := s.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetOpenIDs,
			OpenIDs: strings.Join(split.A, "\n"), Key: key + ":a"}, operatorID)
		if err != nil {
			return err
		}
		sb, err := s.StartSend(ctx, SendInput{DraftID: db.ID, Target: TargetOpenIDs,
			OpenIDs: strings.Join(split.B, "\n"), Key: key + ":b"}, operatorID)
		if err != nil {
			return err
		}
		now := s.now()
		row = abTestRow{IdemKey: key, DraftAID: d.ID, DraftBID: db.ID, TitleA: titleA, TitleB: titleB,
			CoverB: in.CoverB != 0, AudienceKind: aud.kind, AudienceRef: aud.ref, AudienceName: aud.name,
			AudienceSize: size, SharePct: in.SharePct, HalfSize: half, Seed: int64(seed),
			SendAID: sa.ID, SendBID: sb.ID, JudgeAt: now.Add(time.Duration(in.JudgeHours) * time.Hour).UTC(),
			OperatorID: operatorID, CreatedAt: now.UTC()}
		return s.store.db(ctx).Create(&row).Error
	})
	if err != nil {
		return ABTest{}, err
	}
	s.notify() // the sends were committed with the test: wake the worker now
	s.log.Info("A/B test created", "abtest_id", row.ID, "audience", aud.kind, "size", size, "half", half)
	return s.ABTest(ctx, row.ID)
}

// newABSeed is a fresh random seed (recorded with the test).
func newABSeed() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return binary.LittleEndian.Uint64(b[:])
}

func (s *Service) abTestByKey(ctx context.Context, key string) (ABTest, bool, error) {
	var rows []abTestRow
	if err := s.store.db(ctx).Where("idem_key = ?", key).Limit(1).Find(&rows).Error; err != nil || len(rows) == 0 {
		return ABTest{}, false, err
	}
	return rows[0].test(), true, nil
}

// ABTest returns one test, or ErrNotFound.
func (s *Service) ABTest(ctx context.Context, id uint) (ABTest, error) {
	var row abTestRow
	if err := s.store.db(ctx).Take(&row, id).Error; err != nil {
		return ABTest{}, fmt.Errorf("A/B test %d: %w", id, notFound(err))
	}
	return row.test(), nil
}

// ABTestsShown is how many tests the list shows (the newest).
const ABTestsShown = 100

// ABTests lists the newest tests first.
func (s *Service) ABTests(ctx context.Context) ([]ABTest, error) {
	var rows []abTestRow
	if err := s.store.db(ctx).Order("id DESC").Limit(ABTestsShown).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("models: A/B tests: %w", err)
	}
	out := make([]ABTest, len(rows))
	for i, r := range rows {
		out[i] = r.test()
	}
	return out, nil
}

// abSendLists is the OpenIDs both halves' sends were addressed to, sorted.
func (s *Service) abSendLists(ctx context.Context, t ABTest) ([]string, error) {
	var lists []string
	if err := s.store.db(ctx).Model(&batchRow{}).Where("send_id IN ?", []uint{t.SendAID, t.SendBID}).
		Pluck("open_ids", &lists).Error; err != nil {
		return nil, err
	}
	var out []string
	for _, l := range lists {
		out = append(out, strings.Split(l, "\n")...)
	}
	slices.Sort(out)
	return out, nil
}

// ABRest is the rest of test t's audience now: its members less both halves. The halves are
// the lists their sends were made with (drawn from the recorded seed; kept in the sends' batches),
// not a draw made again: a follower who joined since is in the rest, one who left is not, and
// nobody already in a half is sent to twice (a half's follower the plan left out at the monthly
// cap got neither variant, and is in the rest). With the audience unchanged this is the seeded
// split's rest exactly (TestABWinnerToRest).
func (s *Service) ABRest(ctx context.Context, t ABTest) ([]string, error) {
	ids, err := s.abAudienceIDs(ctx, abAudience{kind: t.AudienceKind, ref: t.AudienceRef})
	if errors.Is(err, ErrNotFound) { // the saved audience was deleted since
		return nil, fieldError("winner", "err.audience_gone")
	}
	if err != nil {
		return nil, err
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	sent, err := s.abSendLists(ctx, t)
	if err != nil {
		return nil, err
	}
	return minusSorted(ids, sent), nil
}
