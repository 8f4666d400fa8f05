package views

import (
	"fmt"
	"strings"
	"time"
)

// EditorRevision is what the editor knows of its draft's saves (issue 10 §3): the revision the
// form is based on, and a save refused because another came in between.
type EditorRevision struct {
	Revision int64
	Conflict *DraftConflict
}

// DraftConflict is a refused save: the draft is now at Revision, saved by By at At.
type DraftConflict struct {
	Revision int64
	By       string
	At       time.Time
}

// ClockTime is t's hour and minute in Beijing time: "saved at 10:42".
func ClockTime(t time.Time) string { return t.In(beijing).Format("15:04") }

// conflictBy names who saved, or "another tab or operator".
func conflictBy(l Layout, by string) string {
	if by == "" {
		return l.T("autosave.someone")
	}
	return by
}

// DraftVersionRow is one kept version of a draft.
type DraftVersionRow struct {
	ID       uint
	Revision int64
	By       string
	Kind     string // models.Version*
	Source   string
	Title    string
	Size     int
	At       time.Time // the version's last save
	Current  bool      // the draft's content now
}

// DraftVersionsPage lists a draft's versions, newest first.
type DraftVersionsPage struct {
	Layout   Layout
	DraftID  uint
	Keep     int
	Versions []DraftVersionRow
}

// VersionArticle is one article of a version, read-only. Content is sanitised HTML.
type VersionArticle struct {
	Title, Author, Digest, SourceURL, Content string
	ThumbID                                   uint
}

// DraftVersionPage shows one version.
type DraftVersionPage struct {
	Layout   Layout
	DraftID  uint
	Version  DraftVersionRow
	Articles []VersionArticle
}

func versionsURL(id uint) string   { return fmt.Sprintf("/drafts/%d/versions", id) }
func versionURL(id, v uint) string { return fmt.Sprintf("/drafts/%d/versions/%d", id, v) }
func versionRestoreURL(id, v uint) string {
	return fmt.Sprintf("/drafts/%d/versions/%d/restore", id, v)
}
func draftURL(id uint) string          { return fmt.Sprintf("/drafts/%d", id) }
func thumbURL(id uint) string          { return fmt.Sprintf("/thumbs/%d", id) }
func draftDuplicateURL(id uint) string { return fmt.Sprintf("/drafts/%d/duplicate", id) }
func sendDuplicateURL(id uint) string  { return fmt.Sprintf("/sends/%d/duplicate", id) }
func autosaveURL(id uint) string {
	if id == 0 {
		return "/drafts/autosave"
	}
	return fmt.Sprintf("/drafts/%d/autosave", id)
}

// versionKind words how a version came to be.
func versionKind(l Layout, v DraftVersionRow) string {
	switch v.Kind {
	case "auto":
		return l.T("versions.kind.auto")
	case "restore":
		return l.T("versions.kind.restore", v.Source)
	case "duplicate":
		if n, ok := strings.CutPrefix(v.Source, "send:"); ok {
			return l.T("versions.from_send", n)
		}
		if n, ok := strings.CutPrefix(v.Source, "draft:"); ok {
			return l.T("versions.from_draft", n)
		}
		return l.T("versions.kind.duplicate")
	}
	return l.T("versions.kind.save")
}

// formatSize is a content size for people.
func formatSize(l Layout, n int) string {
	if n < 1024 {
		return l.T("size.bytes", n)
	}
	return l.T("size.kb", float64(n)/1024)
}

func orOperator(l Layout, name string) string {
	if name == "" {
		return l.T("versions.unknown_op")
	}
	return name
}
