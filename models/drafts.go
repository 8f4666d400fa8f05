package models

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Draft is a news message being written: 1..MaxArticles articles ordered by Position.
type Draft struct {
	ID         uint
	Articles   []Article
	CreatedAt  time.Time
	UpdatedAt  time.Time
	OperatorID uint
	Revision   int64 // bumped by every save that changes the draft (draft_versions.go)
}

// Article is one article of a draft. Content is sanitised HTML.
type Article struct {
	ID           uint
	DraftID      uint
	Position     int
	Title        string
	Author       string
	Digest       string
	Content      string
	SourceURL    string
	ShowCoverPic bool
	ThumbID      *uint
}

// DraftInput is what the editor submits.
type DraftInput struct {
	Articles []ArticleInput
	// Base is the revision the editor started from: a save based on an older one is refused
	// with *ConflictError. 0 skips the check (a client that knows no revisions).
	Base int64
	// Auto marks an autosave, whose version may join the previous autosave's from the same
	// Editor (a random id per editor page; "" never joins).
	Auto   bool
	Editor string
	// kind and source of the version, for saves the package makes itself (restore, copies).
	kind, source string
}

// ArticleInput is one article as submitted (Content is raw HTML, sanitised on save).
type ArticleInput struct {
	Title, Author, Digest, Content, SourceURL string
	ShowCoverPic                              bool
	ThumbID                                   uint
}

// DraftSummary is a row of the drafts list.
type DraftSummary struct {
	ID        uint
	Title     string // first article's title
	Articles  int
	UpdatedAt time.Time
	Sent      int // sends of this draft that were not refused before reaching WeChat
}

// maxSourceURL bounds the "read original" URL (ArticleLimits names it).
const maxSourceURL = 1024

// ListDrafts returns drafts, most recently edited first, in three queries whatever their number:
// the drafts, then their articles' count and first title, then their sends.
func (s *Service) ListDrafts(ctx context.Context) ([]DraftSummary, error) {
	db := s.store.db(ctx)
	var drafts []draftRow
	if err := db.Order("updated_at DESC, id DESC").Find(&drafts).Error; err != nil {
		return nil, fmt.Errorf("list drafts: %w", err)
	}
	if len(drafts) == 0 {
		return []DraftSummary{}, nil
	}
	live := db.Model(&draftRow{}).Select("id") // the drafts listed: not deleted
	// SQLite takes a bare column (title) from the row that MIN(position) picked: the first article.
	var arts []struct {
		DraftID uint
		Title   string
		First   int
		N       int
	}
	if err := db.Model(&articleRow{}).
		Select("draft_id, "+dialectOf(db).firstBy("title", "position")+" AS title, MIN(position) AS first, COUNT(*) AS n").
		Where("draft_id IN (?)", live).Group("draft_id").Scan(&arts).Error; err != nil {
		return nil, fmt.Errorf("list drafts: articles: %w", err)
	}
	var sent []struct {
		DraftID uint
		N       int
	}
	if err := db.Model(&sendRow{}).Select("draft_id, COUNT(*) AS n").
		Where("draft_id IN (?) AND state NOT IN ?", live, []string{string(StateFailed), string(StateRejected)}).Group("draft_id").Scan(&sent).Error; err != nil {
		return nil, fmt.Errorf("list drafts: sends: %w", err)
	}
	byID := make(map[uint]*DraftSummary, len(drafts))
	out := make([]DraftSummary, len(drafts))
	for i, d := range drafts {
		out[i] = DraftSummary{ID: d.ID, UpdatedAt: d.UpdatedAt}
		byID[d.ID] = &out[i]
	}
	for _, a := range arts {
		if sum := byID[a.DraftID]; sum != nil {
			sum.Title, sum.Articles = a.Title, a.N
		}
	}
	for _, c := range sent {
		if sum := byID[c.DraftID]; sum != nil {
			sum.Sent = c.N
		}
	}
	return out, nil
}

// Draft returns one draft with its articles in order.
func (s *Service) Draft(ctx context.Context, id uint) (Draft, error) {
	var d draftRow
	if err := s.store.db(ctx).Take(&d, id).Error; err != nil {
		return Draft{}, notFound(err)
	}
	var rows []articleRow
	if err := s.store.db(ctx).Where("draft_id = ?", id).Order("position").Find(&rows).Error; err != nil {
		return Draft{}, err
	}
	out := Draft{ID: d.ID, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, OperatorID: d.OperatorID, Revision: d.Revision}
	for _, r := range rows {
		out.Articles = append(out.Articles, Article{
			ID: r.ID, DraftID: r.DraftID, Position: r.Position, Title: r.Title, Author: r.Author,
			Digest: r.Digest, Content: r.Content, SourceURL: r.SourceURL, ShowCoverPic: r.ShowCoverPic,
			ThumbID: r.ThumbID,
		})
	}
	return out, nil
}

// SaveDraft validates and stores a draft (id 0 creates one). Content is sanitised first, so what is
// validated is what is stored.
func (s *Service) SaveDraft(ctx context.Context, id uint, in DraftInput, operatorID uint) (Draft, error) {
	now := s.now()
	// Validation stores the pasted images it finds (their /images/N is what gets validated), in
	// the save's transaction: a refused save rolls them back, so only a valid save keeps any.
	err := s.store.inTx(ctx, func(ctx context.Context) error {
		articles, fe, err := s.validateDraft(ctx, in)
		if err != nil {
			return err
		}
		if err := fe.orNil(); err != nil {
			return err
		}
		db := s.store.db(ctx)
		arts, rev := rowsSnapshot(articles), int64(1)
		if id != 0 {
			var same bool
			if rev, same, err = s.beginSave(ctx, id, in.Base, arts, operatorID, now); err != nil || same {
				return err // nothing changed: no revision, no version
			}
			if err := db.Where("draft_id = ?", id).Delete(&articleRow{}).Error; err != nil {
				return err
			}
		} else {
			d := draftRow{OperatorID: operatorID, CreatedAt: now, UpdatedAt: now, Revision: 1, UpdatedBy: operatorID}
			if err := db.Create(&d).Error; err != nil {
				return err
			}
			id = d.ID
		}
		for i := range articles {
			articles[i].DraftID = id
		}
		if err := db.Create(&articles).Error; err != nil {
			return err
		}
		return s.recordVersion(ctx, id, rev, operatorID, in, arts, now)
	})
	if err != nil {
		return Draft{}, err
	}
	return s.Draft(ctx, id)
}

func (in DraftInput) versionKind() string {
	switch {
	case in.kind != "":
		return in.kind
	case in.Auto:
		return VersionAuto
	}
	return VersionSave
}

// validateDraft returns the rows to store (sanitised) and every field problem.
func (s *Service) validateDraft(ctx context.Context, in DraftInput) ([]articleRow, FieldErrors, error) {
	fe := FieldErrors{}
	limits, err := s.ArticleLimits(ctx)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case len(in.Articles) == 0:
		fe["articles"] = "err.no_articles"
		return nil, fe, nil
	case len(in.Articles) > limits.MaxArticles:
		fe["articles"] = "err.too_many_articles"
		return nil, fe, nil
	}
	rows := make([]articleRow, 0, len(in.Articles))
	for i, a := range in.Articles {
		key := func(f string) string { return "articles." + strconv.Itoa(i) + "." + f }
		// Pasted data: images become stored images (/images/N) before sanitising, which would
		// drop them; then every image must be one WeChat keeps (images.go).
		content, imageErr, err := s.storeDataImages(ctx, a.Content)
		if err != nil {
			return nil, nil, err
		}
		r := articleRow{
			Position:     i,
			Title:        strings.TrimSpace(a.Title),
			Author:       strings.TrimSpace(a.Author),
			Digest:       strings.TrimSpace(a.Digest),
			Content:      SanitizeArticleHTML(content),
			SourceURL:    strings.TrimSpace(a.SourceURL),
			ShowCoverPic: a.ShowCoverPic,
		}
		if imageErr == "" {
			if imageErr, err = s.checkContentImages(ctx, r.Content); err != nil {
				return nil, nil, err
			}
		}
		limits.checkText(r, fe, key)
		if imageErr != "" {
			fe[key("content")] = imageErr
		}
		if a.ThumbID == 0 {
			fe[key("thumb")] = "err.thumb_required"
		} else {
			var n int64
			if err := s.store.db(ctx).Model(&thumbRow{}).Where("id = ?", a.ThumbID).Count(&n).Error; err != nil {
				return nil, nil, err
			}
			if n == 0 {
				fe[key("thumb")] = "err.thumb_not_found"
			} else {
				tid := a.ThumbID
				r.ThumbID = &tid
			}
		}
		rows = append(rows, r)
	}
	return rows, fe, nil
}

func validHTTPURL(raw string) bool {
	if len(raw) > maxSourceURL {
		return false
	}
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	return (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// DeleteDraft removes a draft from the list. Sends made from it keep their own copy.
func (s *Service) DeleteDraft(ctx context.Context, id uint) error {
	res := s.store.db(ctx).Delete(&draftRow{}, id)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}
