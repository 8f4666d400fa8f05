package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Versions of a draft (migration 23, issue 10 §3): every save that changes a draft bumps its
// revision and is kept as a version; the newest MaxDraftVersions of each draft stay. A version
// holds the articles in the snapshot format of sends.articles_json ([]ArticleInput), so a
// version, a send and a draft copy one another without conversion.

// MaxDraftVersions is how many saves of a draft are kept.
const MaxDraftVersions = 20

// versionCoalesce is how long autosaves from one editor page keep going into the same version:
// a minute of typing is one version, not twenty, so the 20 kept reach back further than a
// few minutes. Manual saves, restores and copies always start a version of their own, and so
// does an autosave from another page (another tab of the same operator included): a save that
// overwrites after a conflict never swallows the version it overwrote.
const versionCoalesce = time.Minute

// Kinds of version: what made it.
const (
	VersionSave      = "save"      // the editor's save button (or a form post)
	VersionAuto      = "auto"      // the editor's autosave
	VersionRestore   = "restore"   // an earlier version made current; Source is its revision
	VersionDuplicate = "duplicate" // a copy of a draft or a send; Source is "draft:N" or "send:N"
)

// ConflictError refuses a save based on a revision older than the draft's: someone saved it in
// between (another tab, another operator). Nothing was written.
type ConflictError struct {
	Revision int64     // the draft's current revision: send it as the base to overwrite
	By       string    // who made that save ("" when unknown)
	At       time.Time // when
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("draft changed since (now revision %d, by %q at %s)", e.Revision, e.By, e.At.Format(time.RFC3339))
}

// DraftVersion is one kept save of a draft. Articles is set only by Version.
type DraftVersion struct {
	ID         uint
	DraftID    uint
	Revision   int64
	OperatorID uint
	Username   string
	Kind       string
	Source     string
	Title      string // the first article's
	Size       int    // bytes of content, all articles
	CreatedAt  time.Time
	UpdatedAt  time.Time // later than CreatedAt when autosaves were coalesced into it
	Articles   []ArticleInput
}

type draftVersionRow struct {
	ID           uint `gorm:"primaryKey"`
	DraftID      uint
	Revision     int64
	OperatorID   uint
	Kind         string
	Source       string
	Editor       string // the editor page that autosaved it (DraftInput.Editor)
	Title        string
	Size         int
	ContentHash  string
	ArticlesJSON string `gorm:"column:articles_json"`
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

func (draftVersionRow) TableName() string { return "draft_versions" }

// rowsSnapshot is the snapshot of stored (or about to be stored) article rows.
func rowsSnapshot(rows []articleRow) []ArticleInput {
	out := make([]ArticleInput, len(rows))
	for i, r := range rows {
		out[i] = ArticleInput{Title: r.Title, Author: r.Author, Digest: r.Digest, Content: r.Content,
			SourceURL: r.SourceURL, ShowCoverPic: r.ShowCoverPic}
		if r.ThumbID != nil {
			out[i].ThumbID = *r.ThumbID
		}
	}
	return out
}

func snapshotJSON(arts []ArticleInput) string {
	b, err := json.Marshal(arts)
	if err != nil { // plain strings, bools and numbers: cannot happen
		panic(err)
	}
	return string(b)
}

func newVersionRow(draftID uint, rev int64, op uint, kind, source string, arts []ArticleInput, at time.Time) draftVersionRow {
	js := snapshotJSON(arts)
	sum := sha256.Sum256([]byte(js))
	v := draftVersionRow{DraftID: draftID, Revision: rev, OperatorID: op, Kind: kind, Source: source,
		ContentHash: hex.EncodeToString(sum[:]), ArticlesJSON: js, CreatedAt: at, UpdatedAt: at}
	for i, a := range arts {
		if i == 0 {
			v.Title = a.Title
		}
		v.Size += len(a.Content)
	}
	return v
}

// beginSave is the revision check of a save of draft id (in the save's transaction): it returns
// same when the articles are what the draft holds already (nothing to write, whatever the base),
// a *ConflictError when base is set and is not the draft's revision, else the new revision,
// already committed to the draft's row with its time and author.
func (s *Service) beginSave(ctx context.Context, id uint, base int64, arts []ArticleInput, op uint, now time.Time) (rev int64, same bool, err error) {
	db := s.store.db(ctx)
	var d draftRow
	if err := db.Take(&d, id).Error; err != nil {
		return 0, false, notFound(err)
	}
	var rows []articleRow
	if err := db.Where("draft_id = ?", id).Order("position").Find(&rows).Error; err != nil {
		return 0, false, err
	}
	if snapshotJSON(rowsSnapshot(rows)) == snapshotJSON(arts) {
		return d.Revision, true, nil
	}
	if base != 0 && base != d.Revision {
		return 0, false, s.conflict(ctx, d)
	}
	// Conditional on the revision read: under PostgreSQL's read committed a concurrent save
	// that got there first leaves this one nothing to update.
	res := db.Model(&draftRow{}).Where("id = ? AND revision = ?", id, d.Revision).
		Updates(map[string]any{"revision": d.Revision + 1, "updated_at": now, "updated_by": op})
	if res.Error != nil {
		return 0, false, res.Error
	}
	if res.RowsAffected == 0 {
		if err := db.Take(&d, id).Error; err != nil {
			return 0, false, notFound(err)
		}
		return 0, false, s.conflict(ctx, d)
	}
	return d.Revision + 1, false, nil
}

func (s *Service) conflict(ctx context.Context, d draftRow) error {
	e := &ConflictError{Revision: d.Revision, At: d.UpdatedAt}
	if d.UpdatedBy != 0 {
		if op, err := s.store.Operator(ctx, d.UpdatedBy); err == nil {
			e.By = op.Username
		}
	}
	return e
}

// recordVersion keeps revision rev of a draft as a version (in the save's transaction) and drops
// the versions beyond the newest MaxDraftVersions. An autosave joins the newest version instead
// when that is an autosave by the same operator from the same editor page, begun less than
// versionCoalesce ago.
func (s *Service) recordVersion(ctx context.Context, draftID uint, rev int64, op uint, in DraftInput, arts []ArticleInput, now time.Time) error {
	db := s.store.db(ctx)
	kind := in.versionKind()
	v := newVersionRow(draftID, rev, op, kind, in.source, arts, now)
	if kind == VersionAuto {
		v.Editor = in.Editor
		var last draftVersionRow
		err := db.Select("id, kind, operator_id, editor, created_at").Where("draft_id = ?", draftID).Order("id DESC").Limit(1).Take(&last).Error
		if err == nil && last.Kind == VersionAuto && last.OperatorID == op && in.Editor != "" && last.Editor == in.Editor &&
			now.Sub(last.CreatedAt) < versionCoalesce {
			return db.Model(&draftVersionRow{}).Where("id = ?", last.ID).Updates(map[string]any{
				"revision": rev, "title": v.Title, "size": v.Size, "content_hash": v.ContentHash,
				"articles_json": v.ArticlesJSON, "updated_at": now}).Error
		}
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
	}
	if err := db.Create(&v).Error; err != nil {
		return err
	}
	keep := db.Model(&draftVersionRow{}).Select("id").Where("draft_id = ?", draftID).Order("id DESC").Limit(MaxDraftVersions)
	return db.Where("draft_id = ? AND id NOT IN (?)", draftID, keep).Delete(&draftVersionRow{}).Error
}

// DraftVersions lists the kept versions of a draft, newest first, without their articles.
func (s *Service) DraftVersions(ctx context.Context, draftID uint) ([]DraftVersion, error) {
	if _, err := s.draftRevision(ctx, draftID); err != nil {
		return nil, err
	}
	var rows []struct {
		ID, DraftID, OperatorID       uint
		Revision                      int64
		Kind, Source, Title, Username string
		Size                          int
		CreatedAt, UpdatedAt          time.Time
	}
	err := s.store.db(ctx).Table("draft_versions AS v").
		Select("v.id, v.draft_id, v.revision, v.operator_id, v.kind, v.source, v.title, v.size, v.created_at, v.updated_at, o.username").
		Joins("LEFT JOIN operators o ON o.id = v.operator_id").
		Where("v.draft_id = ?", draftID).Order("v.id DESC").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("draft %d versions: %w", draftID, err)
	}
	out := make([]DraftVersion, len(rows))
	for i, r := range rows {
		out[i] = DraftVersion{ID: r.ID, DraftID: r.DraftID, Revision: r.Revision, OperatorID: r.OperatorID,
			Username: r.Username, Kind: r.Kind, Source: r.Source, Title: r.Title, Size: r.Size,
			CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	}
	return out, nil
}

// DraftVersionByID returns one version of a draft with its articles.
func (s *Service) DraftVersionByID(ctx context.Context, draftID, versionID uint) (DraftVersion, error) {
	var r draftVersionRow
	if err := s.store.db(ctx).Where("draft_id = ?", draftID).Take(&r, versionID).Error; err != nil {
		return DraftVersion{}, notFound(err)
	}
	var name string
	if op, err := s.store.Operator(ctx, r.OperatorID); err == nil {
		name = op.Username
	}
	v := versionOf(r, name)
	if err := json.Unmarshal([]byte(r.ArticlesJSON), &v.Articles); err != nil {
		return DraftVersion{}, fmt.Errorf("draft %d version %d: %w", draftID, versionID, err)
	}
	return v, nil
}

func versionOf(r draftVersionRow, username string) DraftVersion {
	return DraftVersion{ID: r.ID, DraftID: r.DraftID, Revision: r.Revision, OperatorID: r.OperatorID,
		Username: username, Kind: r.Kind, Source: r.Source, Title: r.Title, Size: r.Size,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func (s *Service) draftRevision(ctx context.Context, id uint) (int64, error) {
	var d draftRow
	if err := s.store.db(ctx).Select("id, revision").Take(&d, id).Error; err != nil {
		return 0, notFound(err)
	}
	return d.Revision, nil
}

// RestoreDraftVersion makes an earlier version the draft's content: a save like any other
// (validated as of today's rules, a new revision and a new version that says where it came
// from), whatever the revision the operator saw; an editor open elsewhere is told at its next save.
func (s *Service) RestoreDraftVersion(ctx context.Context, draftID, versionID, op uint) (Draft, error) {
	v, err := s.DraftVersionByID(ctx, draftID, versionID)
	if err != nil {
		return Draft{}, err
	}
	in := DraftInput{Articles: v.Articles, kind: VersionRestore, source: strconv.FormatInt(v.Revision, 10)}
	return s.SaveDraft(ctx, draftID, in, op)
}

// DuplicateDraft makes a new draft with the articles of draft id (same covers, same images:
// both are shared by id); the first title gets prefix ("副本 ").
func (s *Service) DuplicateDraft(ctx context.Context, id uint, prefix string, op uint) (Draft, error) {
	d, err := s.Draft(ctx, id)
	if err != nil {
		return Draft{}, err
	}
	return s.duplicate(ctx, snapshot(d), prefix, "draft:"+strconv.FormatUint(uint64(id), 10), op)
}

// DuplicateSend makes a new draft of the articles a send sent: the send's own snapshot
// (sends.articles_json, taken at StartSend), not its draft, which may have changed or gone since.
func (s *Service) DuplicateSend(ctx context.Context, sendID uint, prefix string, op uint) (Draft, error) {
	var row sendRow
	if err := s.store.db(ctx).Select("id, articles_json").Take(&row, sendID).Error; err != nil {
		return Draft{}, notFound(err)
	}
	arts, err := decodeSnapshot(row.ArticlesJSON)
	if err != nil {
		return Draft{}, fmt.Errorf("send %d: articles: %w", sendID, err)
	}
	return s.duplicate(ctx, arts, prefix, "send:"+strconv.FormatUint(uint64(sendID), 10), op)
}

func (s *Service) duplicate(ctx context.Context, arts []ArticleInput, prefix, source string, op uint) (Draft, error) {
	if len(arts) > 0 {
		arts[0].Title = prefixTitle(prefix, arts[0].Title)
	}
	return s.SaveDraft(ctx, 0, DraftInput{Articles: arts, kind: VersionDuplicate, source: source}, op)
}

// prefixTitle puts prefix before title, shortening the title so the whole stays within LimitTitle.
func prefixTitle(prefix, title string) string {
	room := LimitTitle - utf8.RuneCountInString(prefix)
	if room < 0 {
		room = 0
	}
	if r := []rune(title); len(r) > room {
		title = string(r[:room])
	}
	return prefix + title
}
