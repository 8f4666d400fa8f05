package models

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Kinds of saved audience.
const (
	AudienceKindList   = "list"   // OpenIDs imported by paste, CSV or XLSX (audience_members)
	AudienceKindFilter = "filter" // conditions over followers, resolved when a send is made
)

// ReportShown is how many problems of each kind an import keeps for its report (all are counted).
const ReportShown = 100

// MaxAudienceOpenIDs is the most OpenIDs an audience may resolve to for one send: the send form's
// limit of a list (what the confirmation and the batches are sized for).
const MaxAudienceOpenIDs = 200_000

// Audience is a saved audience: an imported OpenID list with its report, or a saved filter.
type Audience struct {
	ID     uint `gorm:"primaryKey"`
	Name   string
	Kind   string // AudienceKindList | AudienceKindFilter
	Source string // a list's: "paste" | "csv" | "xlsx"
	// A filter's conditions (each optional, combined with AND).
	ByTag          bool   // GroupID is one of today's tags, not a 2014 group
	GroupID        *int64 // nil: any
	GroupName      string
	SubscribedFrom string // Beijing day 'YYYY-MM-DD', '' for open
	SubscribedTo   string // Beijing day, inclusive
	ReceivedBelow  int    // fewer than N mass messages this Beijing month; 0: no condition
	// A list's import report: entries read, distinct valid OpenIDs kept, and each kind of problem.
	Lines, Size                               int
	Invalid, Duplicate, Unknown, Unsubscribed int
	CreatedAt, UpdatedAt                      time.Time
}

func (Audience) TableName() string { return "audiences" }

// IsFilter reports whether a is a saved filter.
func (a Audience) IsFilter() bool { return a.Kind == AudienceKindFilter }

type audienceProblem struct {
	AudienceID uint
	Seq        int
	Reason     string
	Line       int
	Value      string
}

func (audienceProblem) TableName() string { return "audience_problems" }

func validName(name string) (string, FieldErrors) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", FieldErrors{FieldAudienceName: "err.audience_name_empty"}
	case utf8.RuneCountInString(name) > 64:
		return "", FieldErrors{FieldAudienceName: "err.audience_name_long"}
	}
	return name, nil
}

// ImportAudience saves an OpenID list (pasted, CSV or XLSX) as an audience with its report: the
// invalid and duplicate entries, and the valid ones that are not in followers (unknown) or have
// left (unsubscribed), each counted, the first ReportShown of each kept with their line. The
// lookup against followers is one join in SQL, whatever the size of either.
func (s *Service) ImportAudience(ctx context.Context, in AudienceImport) (Audience, error) {
	name, fe := validName(in.Name)
	if fe != nil {
		return Audience{}, &ValidationError{Fields: fe}
	}
	c, entries, source, err := parseAudienceImport(in)
	if err != nil {
		return Audience{}, err
	}
	if entries == 0 {
		field := FieldAudienceList
		if len(in.File) > 0 {
			field = FieldAudienceFile
		}
		return Audience{}, &ValidationError{Fields: FieldErrors{field: "err.audience_empty"}}
	}
	now := s.now()
	a := Audience{Name: name, Kind: AudienceKindList, Source: source, Lines: entries, Size: len(c.ids),
		CreatedAt: now, UpdatedAt: now}
	var problems []OpenIDProblem
	for _, reason := range []string{"openid.invalid", "openid.duplicate"} {
		n := 0
		for _, p := range c.problems {
			if p.Reason == reason {
				if n < ReportShown {
					problems = append(problems, p)
				}
				n++
			}
		}
		if reason == "openid.invalid" {
			a.Invalid = n
		} else {
			a.Duplicate = n
		}
	}
	err = s.store.inTx(ctx, func(ctx context.Context) error {
		db := s.store.db(ctx)
		if err := db.Create(&a).Error; err != nil {
			return err
		}
		if err := insertMembers(ctx, s.store, a.ID, c.ids, c.lines); err != nil {
			return err
		}
		unknown, unsub, err := s.store.membersNotFollowing(ctx, a.ID)
		if err != nil {
			return err
		}
		a.Unknown, a.Unsubscribed = len(unknown), len(unsub)
		problems = append(problems, unknown[:min(len(unknown), ReportShown)]...)
		problems = append(problems, unsub[:min(len(unsub), ReportShown)]...)
		rows := make([]audienceProblem, len(problems))
		for i, p := range problems {
			rows[i] = audienceProblem{AudienceID: a.ID, Seq: i + 1, Reason: p.Reason, Line: p.Line, Value: shortProblem(p.Value)}
		}
		if len(rows) > 0 {
			if err := db.CreateInBatches(rows, 200).Error; err != nil {
				return err
			}
		}
		return db.Model(&a).Updates(map[string]any{"unknown": a.Unknown, "unsubscribed": a.Unsubscribed}).Error
	})
	if err != nil {
		return Audience{}, fmt.Errorf("models: import audience %q: %w", name, err)
	}
	return a, nil
}

// shortProblem cuts a bad entry kept for the report (an OpenID has at most 64 characters).
func shortProblem(v string) string {
	if utf8.RuneCountInString(v) <= 80 {
		return v
	}
	return string([]rune(v)[:80]) + "…"
}

// insertMembers writes a list's OpenIDs with their lines: one statement per 20,000, each
// passing its rows as one JSON array that SQLite unpacks (json_each), not a statement per row.
// The rows go in OpenID order, so the join to followers' primary key reads it in order.
func insertMembers(ctx context.Context, st *Store, audienceID uint, ids []string, lines []int) error {
	const chunk = 20_000
	order := make([]int, len(ids))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(ids[a], ids[b]) })
	for start := 0; start < len(ids); start += chunk {
		end := min(start+chunk, len(ids))
		rows := make([]string, 0, end-start)
		for _, i := range order[start:end] {
			rows = append(rows, strconv.Itoa(lines[i])+":"+ids[i])
		}
		js, err := json.Marshal(rows)
		if err != nil {
			return err
		}
		pos := "instr(value, ':')"
		if st.dialect == dialectPostgres {
			pos = "strpos(value, ':')"
		}
		err = st.db(ctx).Exec(`INSERT INTO audience_members (audience_id, open_id, line)
			SELECT `+st.dialect.param("BIGINT")+`, substr(value, `+pos+` + 1), CAST(substr(value, 1, `+pos+` - 1) AS INTEGER)
			FROM `+st.dialect.jsonValues("j"), audienceID, string(js)).Error
		if err != nil {
			return fmt.Errorf("insert members: %w", err)
		}
	}
	return nil
}

// membersNotFollowing returns a list's members not in followers and those who have left, each
// in line order: one pass of the members joined to followers by primary key.
func (st *Store) membersNotFollowing(ctx context.Context, audienceID uint) (unknown, unsub []OpenIDProblem, err error) {
	rows, err := st.db(ctx).Raw(`SELECT m.line, m.open_id, f.subscribed FROM audience_members m
		LEFT JOIN followers f ON f.open_id = m.open_id
		WHERE m.audience_id = ? AND (f.open_id IS NULL OR f.subscribed = 0)`, audienceID).Rows()
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var p OpenIDProblem
		var sub sql.NullBool
		if err := rows.Scan(&p.Line, &p.Value, &sub); err != nil {
			return nil, nil, err
		}
		if sub.Valid {
			p.Reason = "openid.unsubscribed"
			unsub = append(unsub, p)
		} else {
			p.Reason = "openid.unknown"
			unknown = append(unknown, p)
		}
	}
	byLine := func(a, b OpenIDProblem) int { return a.Line - b.Line }
	slices.SortFunc(unknown, byLine)
	slices.SortFunc(unsub, byLine)
	return unknown, unsub, rows.Err()
}

// AudienceFilterInput is a saved filter as the form sends it (every condition optional).
type AudienceFilterInput struct {
	Name          string
	GroupID       string // "" for any
	GroupName     string
	From, To      string // Beijing days 'YYYY-MM-DD'
	ReceivedBelow string // "" for no condition
}

// SaveAudienceFilter saves a filter. Its group is a 2014 group or today's tag as the API
// profile in force says (Settings.Audience), and stays so.
func (s *Service) SaveAudienceFilter(ctx context.Context, in AudienceFilterInput) (Audience, error) {
	name, fe := validName(in.Name)
	if fe == nil {
		fe = FieldErrors{}
	}
	a := Audience{Name: name, Kind: AudienceKindFilter, GroupName: strings.TrimSpace(in.GroupName)}
	if g := strings.TrimSpace(in.GroupID); g != "" {
		id, err := strconv.ParseInt(g, 10, 64)
		if err != nil || id < 0 {
			fe[FieldAudienceGroup] = "err.group_invalid"
		}
		a.GroupID = &id
	}
	from, errFrom := parseBeijingDay(in.From)
	to, errTo := parseBeijingDay(in.To)
	switch {
	case errFrom != nil || errTo != nil:
		fe[FieldAudienceDates] = "err.audience_date_invalid"
	case !from.IsZero() && !to.IsZero() && to.Before(from):
		fe[FieldAudienceDates] = "err.audience_dates_order"
	}
	a.SubscribedFrom, a.SubscribedTo = strings.TrimSpace(in.From), strings.TrimSpace(in.To)
	if b := strings.TrimSpace(in.ReceivedBelow); b != "" {
		n, err := strconv.Atoi(b)
		if err != nil || n < 1 || n > 100 {
			fe[FieldAudienceBelow] = "err.audience_below_invalid"
		}
		a.ReceivedBelow = n
	}
	if len(fe) == 0 && a.GroupID == nil && a.SubscribedFrom == "" && a.SubscribedTo == "" && a.ReceivedBelow == 0 {
		fe[FieldAudienceGroup] = "err.audience_filter_empty"
	}
	if len(fe) > 0 {
		return Audience{}, &ValidationError{Fields: fe}
	}
	p, err := s.profile(ctx)
	if err != nil {
		return Audience{}, err
	}
	a.ByTag = p.Audience == AudienceTags
	if a.GroupID == nil {
		a.GroupName = ""
	}
	a.CreatedAt, a.UpdatedAt = s.now(), s.now()
	if err := s.store.db(ctx).Create(&a).Error; err != nil {
		return Audience{}, fmt.Errorf("models: save audience filter %q: %w", name, err)
	}
	return a, nil
}

// parseBeijingDay parses 'YYYY-MM-DD' as midnight Beijing ("" is the zero time).
func parseBeijingDay(v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, nil
	}
	return time.ParseInLocation("2006-01-02", v, Beijing)
}

// audienceSelect is the SQL that selects the open_id of everyone a resolves to now: a list's
// members less those who have left since; a filter's subscribed followers that meet every
// condition. Resolving happens in SQL, never by loading followers into Go.
func (s *Service) audienceSelect(a Audience) (string, []any) {
	if !a.IsFilter() {
		return `SELECT m.open_id FROM audience_members m LEFT JOIN followers f ON f.open_id = m.open_id
			WHERE m.audience_id = ? AND COALESCE(f.subscribed, 1) = 1`, []any{a.ID}
	}
	q := `SELECT f.open_id FROM followers f`
	var args []any // the join's, then the conditions', in the order of the text
	where := []string{`f.subscribed = 1`}
	if a.ReceivedBelow > 0 {
		q += ` LEFT JOIN follower_months fm ON fm.month = ? AND fm.open_id = f.open_id`
		args = append(args, monthStart(s.now()).Format("2006-01"))
		where = append(where, `COALESCE(fm.received, 0) < ?`)
		args = append(args, a.ReceivedBelow)
	}
	if a.GroupID != nil {
		if a.ByTag {
			// Driven from the tag's rows (follower_tags' key), not a test on every follower.
			q = strings.Replace(q, `FROM followers f`, `FROM follower_tags t JOIN followers f ON f.open_id = t.open_id`, 1)
			where = append(where, `t.tag_id = ?`)
		} else {
			where = append(where, `f.group_id = ?`)
		}
		args = append(args, *a.GroupID)
	}
	if from, err := parseBeijingDay(a.SubscribedFrom); err == nil && !from.IsZero() {
		where = append(where, `f.subscribed_at >= ?`)
		args = append(args, from.UTC())
	}
	if to, err := parseBeijingDay(a.SubscribedTo); err == nil && !to.IsZero() {
		where = append(where, `f.subscribed_at < ?`)
		args = append(args, to.AddDate(0, 0, 1).UTC())
	}
	return q + ` WHERE ` + strings.Join(where, ` AND `), args
}

// SavedAudiences lists the saved audiences, newest first.
func (s *Service) SavedAudiences(ctx context.Context) ([]Audience, error) {
	var list []Audience
	if err := s.store.db(ctx).Order("id DESC").Find(&list).Error; err != nil {
		return nil, fmt.Errorf("models: saved audiences: %w", err)
	}
	return list, nil
}

// SavedAudience returns one audience, or ErrNotFound.
func (s *Service) SavedAudience(ctx context.Context, id uint) (Audience, error) {
	var list []Audience
	if err := s.store.db(ctx).Where("id = ?", id).Limit(1).Find(&list).Error; err != nil {
		return Audience{}, fmt.Errorf("models: audience %d: %w", id, err)
	}
	if len(list) == 0 {
		return Audience{}, fmt.Errorf("audience %d: %w", id, ErrNotFound)
	}
	return list[0], nil
}

// AudienceProblems returns the problems an import kept for its report, by kind then line.
func (s *Service) AudienceProblems(ctx context.Context, id uint) ([]OpenIDProblem, error) {
	var rows []audienceProblem
	if err := s.store.db(ctx).Where("audience_id = ?", id).Order("seq").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("models: audience %d report: %w", id, err)
	}
	out := make([]OpenIDProblem, len(rows))
	for i, r := range rows {
		out[i] = OpenIDProblem{Line: r.Line, Value: r.Value, Reason: r.Reason}
	}
	return out, nil
}

// AudienceCount is how many OpenIDs a resolves to now (a filter's live count).
func (s *Service) AudienceCount(ctx context.Context, a Audience) (int, error) {
	q, args := s.audienceSelect(a)
	var n int
	if err := s.store.db(ctx).Raw(`SELECT COUNT(*) FROM (`+q+`)`, args...).Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("models: count audience %d: %w", a.ID, err)
	}
	return n, nil
}

// RenameAudience renames a saved audience.
func (s *Service) RenameAudience(ctx context.Context, id uint, name string) error {
	name, fe := validName(name)
	if fe != nil {
		return &ValidationError{Fields: fe}
	}
	res := s.store.db(ctx).Model(&Audience{}).Where("id = ?", id).Updates(map[string]any{"name": name, "updated_at": s.now()})
	if res.Error != nil {
		return fmt.Errorf("models: rename audience %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("audience %d: %w", id, ErrNotFound)
	}
	return nil
}

// DeleteAudience removes a saved audience with its members and report. Sends made from it keep
// their own OpenID lists.
func (s *Service) DeleteAudience(ctx context.Context, id uint) error {
	return s.store.inTx(ctx, func(ctx context.Context) error {
		db := s.store.db(ctx)
		res := db.Where("id = ?", id).Delete(&Audience{})
		if res.Error != nil {
			return fmt.Errorf("models: delete audience %d: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("audience %d: %w", id, ErrNotFound)
		}
		for _, t := range []string{"audience_members", "audience_problems"} {
			if err := db.Exec(`DELETE FROM `+t+` WHERE audience_id = ?`, id).Error; err != nil {
				return fmt.Errorf("models: delete audience %d: %w", id, err)
			}
		}
		return nil
	})
}

// AudiencePlanList resolves audience id to an OpenID list at this moment and keeps it as a plan
// list for the send of draftID by operatorID (SavePlanList's table, one INSERT … SELECT), for the
// usual confirmation of an OpenID list. It returns the list's id and size; an audience that
// resolves to fewer than 2 OpenIDs (mass/send takes 2–10,000 a call) or more than
// MaxAudienceOpenIDs is a field error.
func (s *Service) AudiencePlanList(ctx context.Context, id, draftID, operatorID uint) (string, int, error) {
	a, err := s.SavedAudience(ctx, id)
	if err != nil {
		return "", 0, err
	}
	if _, err := s.PurgePlanLists(ctx); err != nil {
		return "", 0, err
	}
	q, args := s.audienceSelect(a)
	listID := randomHex(16)
	var n int
	err = s.store.inTx(ctx, func(ctx context.Context) error {
		db, d := s.store.db(ctx), s.store.dialect
		if err := db.Raw(`SELECT COUNT(*) FROM (`+q+`)`, args...).Scan(&n).Error; err != nil {
			return err
		}
		switch {
		case n < 2:
			return &ValidationError{Fields: FieldErrors{FieldSavedAudience: "err.audience_too_small"}}
		case n > MaxAudienceOpenIDs:
			return &ValidationError{Fields: FieldErrors{FieldSavedAudience: "err.audience_too_large"}}
		}
		ins := append([]any{listID, draftID, operatorID, s.now(), a.ID}, args...)
		return db.Exec(`INSERT INTO plan_lists (id, draft_id, operator_id, created_at, audience_id, open_ids)
			SELECT ?, `+d.param("BIGINT")+`, `+d.param("BIGINT")+`, `+d.param("TIMESTAMPTZ")+`, `+d.param("BIGINT")+`, `+d.joinLines("open_id")+` FROM (`+q+`) AS l`, ins...).Error
	})
	if _, ok := err.(*ValidationError); ok {
		return "", n, err
	}
	if err != nil {
		return "", 0, fmt.Errorf("models: resolve audience %d: %w", id, err)
	}
	return listID, n, nil
}
