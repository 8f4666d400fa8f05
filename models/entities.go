package models

import (
	"time"

	"gorm.io/gorm"
)

// GORM rows. They mirror migration 1 (migrations.go) column for column; the exported domain types
// (Operator, Draft, Send, ...) are built from them so GORM never leaks out of the package.

type operatorRow struct {
	ID           uint `gorm:"primaryKey"`
	Username     string
	PasswordHash string
	Role         Role `gorm:"default:admin"`
	DisabledAt   *time.Time
	CreatedAt    time.Time
	LastLoginAt  *time.Time
	SessionEpoch int64
	// MustChangePassword: an admin set the password; the operator chooses their own first.
	MustChangePassword bool
}

func (operatorRow) TableName() string { return "operators" }

type sessionRow struct {
	TokenHash  string `gorm:"primaryKey"`
	OperatorID *uint
	Data       []byte
	Expiry     time.Time
}

func (sessionRow) TableName() string { return "sessions" }

type draftRow struct {
	ID         uint `gorm:"primaryKey"`
	OperatorID uint
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Revision   int64 `gorm:"default:1"` // saves so far (migration 23, draft_versions.go)
	UpdatedBy  uint  // who made the last save (migration 23)
	// Soft delete: sends keep pointing at the draft they sent.
	DeletedAt gorm.DeletedAt
}

func (draftRow) TableName() string { return "drafts" }

type articleRow struct {
	ID           uint `gorm:"primaryKey"`
	DraftID      uint
	Position     int
	Title        string
	Author       string
	Digest       string
	Content      string
	SourceURL    string `gorm:"column:source_url"`
	ShowCoverPic bool
	ThumbID      *uint
}

func (articleRow) TableName() string { return "articles" }

type thumbRow struct {
	ID              uint `gorm:"primaryKey"`
	Filename        string
	ContentType     string
	Data            []byte
	SHA256          string `gorm:"column:sha256"`
	MediaID         string `gorm:"column:media_id"`
	MediaUploadedAt *time.Time
	CreatedAt       time.Time
	// MaterialID is the thumb's permanent material (migration 5): what draft/add takes as a
	// cover. Uploaded once; it does not expire.
	MaterialID string `gorm:"column:material_id"`
}

func (thumbRow) TableName() string { return "thumbs" }

// newsUploadRow remembers the media_id of an uploadnews call for a given content hash (articles
// plus their thumb media ids), so an unchanged draft sent twice within 3 days costs one call.
// A draft/add media_id is kept until a mass send takes it (then the row is deleted): a preview's
// draft serves the next send's first batch.
type newsUploadRow struct {
	ID          uint `gorm:"primaryKey"`
	DraftID     uint
	ContentHash string
	MediaID     string `gorm:"column:media_id"`
	UploadedAt  time.Time
	Path        string // UploadNews or UploadDraft (migration 5)
}

func (newsUploadRow) TableName() string { return "news_uploads" }

type sendRow struct {
	ID            uint   `gorm:"primaryKey"`
	IdemKey       string `gorm:"column:idem_key"`
	DraftID       uint
	Title         string
	Target        TargetKind
	GroupID       int64
	GroupName     string
	Recipients    int
	ArticlesJSON  string `gorm:"column:articles_json"` // snapshot of the draft at StartSend
	MediaID       string `gorm:"column:media_id"`
	State         SendState
	Errcode       int
	Errmsg        string
	OperatorID    uint
	Attempts      int
	NextAttemptAt *time.Time
	CreatedAt     time.Time
	SubmittedAt   *time.Time
	FinishedAt    *time.Time
	DeletedAt     *time.Time // a WeChat deletion, not a row deletion
	Status        string
	TotalCount    int
	FilterCount   int
	SentCount     int
	ErrorCount    int
	// The API profile the send was planned under (migration 5).
	Audience   string // AudienceGroups | AudienceTags
	UploadPath string // UploadNews | UploadDraft
	// ArticleRemovedBy is the send whose delete removed this send's article page (migration 7).
	ArticleRemovedBy uint `gorm:"column:article_removed_by"`
	// CatchUpOf is the send this one catches up on (migration 11); 0 when not a catch-up.
	CatchUpOf uint `gorm:"column:catch_up_of"`
	// SearchText is what the history's search matches (migration 22, searchText); AudienceID the
	// saved audience an OpenID list came from, 0 for none.
	SearchText string `gorm:"column:search_text"`
	AudienceID uint   `gorm:"column:audience_id"`
}

func (sendRow) TableName() string { return "sends" }

type batchRow struct {
	ID          uint `gorm:"primaryKey"`
	SendID      uint
	BatchIndex  int
	ClientMsgID string `gorm:"column:client_msg_id"`
	OpenIDs     string `gorm:"column:open_ids"` // newline separated; empty for all/group
	OpenIDCount int    `gorm:"column:open_id_count"`
	State       SendState
	MsgID       int64 `gorm:"column:msg_id"`
	MsgDataID   int64 `gorm:"column:msg_data_id"`
	Errcode     int
	Errmsg      string
	Status      string
	TotalCount  int
	FilterCount int
	SentCount   int
	ErrorCount  int
	SubmittedAt *time.Time
	FinishedAt  *time.Time
	CheckedAt   *time.Time // last mass/get reconciliation
	DeletedAt   *time.Time
	// From MASSSENDJOBFINISH (migration 2): article URLs one per line, and the
	// copyright check's CheckState.
	ArticleURLs    string `gorm:"column:article_urls"`
	CopyrightState int    `gorm:"column:copyright_state"`
	// MediaID is the mpnews media_id the batch was (or is being) called with (migration 5): a
	// batch left "submitting" is called again with it and its clientmsgid.
	MediaID  string     `gorm:"column:media_id"`
	CalledAt *time.Time // first call (migration 5): a re-call after 24 h could send twice
}

func (batchRow) TableName() string { return "send_batches" }

// quotaCallRow is one advanced-API call made (Reserved=false) or planned by a queued send (Reserved=true).
type quotaCallRow struct {
	ID       uint   `gorm:"primaryKey"`
	Day      string // Beijing date, 2006-01-02
	Endpoint string
	SendID   *uint
	Reserved bool
	At       time.Time
}

func (quotaCallRow) TableName() string { return "quota_calls" }

type callbackEventRow struct {
	ID         uint  `gorm:"primaryKey"`
	MsgID      int64 `gorm:"column:msg_id"`
	Event      string
	FromUser   string
	CreateTime int64
	// The job's figures, so a push that arrives before its msg_id is committed can be applied later.
	Status      string
	TotalCount  int
	FilterCount int
	SentCount   int
	ErrorCount  int
	Raw         []byte
	ReceivedAt  time.Time
	// What else the push said (migration 2).
	ArticleURLs    string `gorm:"column:article_urls"`
	CopyrightState int    `gorm:"column:copyright_state"`
}

func (callbackEventRow) TableName() string { return "callback_events" }

type historyRow struct {
	ID         uint `gorm:"primaryKey"`
	SendID     uint
	At         time.Time
	OperatorID uint
	Action     string
	Detail     string
}

func (historyRow) TableName() string { return "send_history" }
