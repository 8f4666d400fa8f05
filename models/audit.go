package models

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// The audit log (migration 17): one row per thing an operator did, or tried (a failed login),
// appended and never changed. Actions are stable keys; the page words them from the catalogue
// ("audit.action." + key). Detail is short text for a person and never holds a secret: a
// settings change names the keys that changed, not their values.
const (
	AuditLoginOK        = "login.ok"
	AuditLoginFailed    = "login.failed"
	AuditLogout         = "logout"
	AuditSendCreate     = "send.create"
	AuditSendAwaiting   = "send.awaiting_approval" // a send stored for another admin's approval
	AuditSendApprove    = "send.approve"
	AuditSendReject     = "send.reject"
	AuditSendDelete     = "send.delete"
	AuditSendCatchUp    = "send.catchup"
	AuditPreview        = "preview.send"
	AuditDraftDelete    = "draft.delete"
	AuditScheduleCreate = "schedule.create"
	AuditScheduleSave   = "schedule.save"
	AuditScheduleCancel = "schedule.cancel"
	AuditScheduleNow    = "schedule.send_now"
	AuditSettingsSave   = "settings.save"
	AuditApprovalRule   = "settings.approval"
	AuditFollowersSync  = "followers.sync"
	AuditFollowersDaily = "followers.daily_sync"
	AuditAudienceImport = "audience.import"
	AuditAudienceFilter = "audience.filter_save"
	AuditAudienceRename = "audience.rename"
	AuditAudienceDelete = "audience.delete"
	// Operators' changes (operator management, issue 8).
	AuditOperatorCreate   = "operator.create"
	AuditOperatorRole     = "operator.role"
	AuditOperatorDisable  = "operator.disable"
	AuditOperatorEnable   = "operator.enable"
	AuditOperatorPassword = "operator.reset_password"
	AuditAccountPassword  = "account.password" // an operator changed their own password
	AuditSessionsRevoke   = "operator.sessions_revoke"
	// Drafts' versions and copies (issue 10).
	AuditDraftRestore   = "draft.restore"
	AuditDraftDuplicate = "draft.duplicate"
	AuditSendDuplicate  = "send.duplicate"
	AuditStatsFetch     = "stats.fetch"   // an operator asked for WeChat's reading statistics now
	AuditABTestCreate   = "abtest.create" // an A/B title test: its two sends (abtest.go)
	AuditABTestWinner   = "abtest.winner" // its winner sent to the rest of the audience
)

// AuditActions lists every action key, in the order the page's filter offers them.
var AuditActions = []string{
	AuditLoginOK, AuditLoginFailed, AuditLogout,
	AuditSendCreate, AuditSendAwaiting, AuditSendApprove, AuditSendReject, AuditSendDelete, AuditSendCatchUp,
	AuditPreview, AuditDraftDelete,
	AuditScheduleCreate, AuditScheduleSave, AuditScheduleCancel, AuditScheduleNow,
	AuditSettingsSave, AuditApprovalRule, AuditFollowersSync, AuditFollowersDaily,
	AuditAudienceImport, AuditAudienceFilter, AuditAudienceRename, AuditAudienceDelete,
	AuditOperatorCreate, AuditOperatorRole, AuditOperatorDisable, AuditOperatorEnable, AuditOperatorPassword,
	AuditAccountPassword, AuditSessionsRevoke,
	AuditDraftRestore, AuditDraftDuplicate, AuditSendDuplicate,
	AuditStatsFetch,
	AuditABTestCreate, AuditABTestWinner,
}

// AuditEntry is one line of the audit log. OperatorID is 0 for someone not logged in (a failed
// login: Username is then the name they typed).
type AuditEntry struct {
	ID         uint
	At         time.Time
	OperatorID uint
	Username   string
	ClientAddr string
	Action     string
	Target     string // what it was done to, e.g. "send:12"
	Detail     string
}

type auditRow struct {
	ID         uint `gorm:"primaryKey"`
	At         time.Time
	OperatorID uint
	Username   string
	ClientAddr string
	Action     string
	Target     string
	Detail     string
}

func (auditRow) TableName() string { return "audit_log" }

// Field bounds: the log is for reading, not a place to store whatever a request carried.
const (
	maxAuditName   = 64
	maxAuditAddr   = 64
	maxAuditAction = 64
	maxAuditTarget = 128
	maxAuditDetail = 1000
)

// Audit appends e to the audit log, at the service's clock when e.At is zero.
func (s *Service) Audit(ctx context.Context, e AuditEntry) (err error) {
	defer wrap(&err, "audit %s", e.Action)
	at := e.At
	if at.IsZero() {
		at = s.now()
	}
	row := auditRow{
		At: at.UTC(), OperatorID: e.OperatorID, Username: clip(e.Username, maxAuditName),
		ClientAddr: clip(e.ClientAddr, maxAuditAddr), Action: clip(e.Action, maxAuditAction),
		Target: clip(e.Target, maxAuditTarget), Detail: clip(e.Detail, maxAuditDetail),
	}
	return s.store.db(ctx).Create(&row).Error
}

// clip cuts v to at most n runes, and drops invalid UTF-8 and control characters (a log line
// stays one line, whatever a form carried).
func clip(v string, n int) string {
	v = strings.ToValidUTF8(v, "")
	v = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, v)
	if utf8.RuneCountInString(v) <= n {
		return v
	}
	return string([]rune(v)[:n])
}

// AuditFilter narrows the log. Zero fields do not filter.
type AuditFilter struct {
	From, To   time.Time // From ≤ at < To
	OperatorID *uint     // nil: anyone; 0: not logged in
	Action     string
	Target     string // an exact target ("send:12") or a piece of one
	Before     uint   // keyset cursor: entries listed after this one (newest first)
}

// AuditPage is one page of the log, newest first. Next is the cursor of the following page
// (0: none).
type AuditPage struct {
	Entries []AuditEntry
	Next    uint
}

// AuditPageSize is how many entries a page of the log shows.
const AuditPageSize = 50

// AuditLog returns a page of at most limit entries matching f, newest first. The query walks
// one index in (at, id) order from the cursor and stops at limit: its cost does not grow with
// the table, except for a piece of a target (not a whole "kind:id"), which is a substring and
// reads the range until it has limit matches.
func (s *Service) AuditLog(ctx context.Context, f AuditFilter, limit int) (_ AuditPage, err error) {
	defer wrap(&err, "audit log")
	if limit <= 0 {
		limit = AuditPageSize
	}
	var cur auditRow
	if f.Before != 0 {
		var found []auditRow
		if err := s.store.db(ctx).Select("id", "at").Where("id = ?", f.Before).Limit(1).Find(&found).Error; err != nil {
			return AuditPage{}, err
		}
		if len(found) == 0 {
			return AuditPage{}, nil
		}
		cur = found[0]
	}
	q := auditQuery(s.store.db(ctx).Model(&auditRow{}), f, cur.At, cur.ID)
	var rows []auditRow
	if err := q.Order("at DESC, id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return AuditPage{}, err
	}
	var p AuditPage
	if len(rows) > limit {
		rows = rows[:limit]
		p.Next = rows[limit-1].ID
	}
	for _, r := range rows {
		p.Entries = append(p.Entries, AuditEntry{ID: r.ID, At: r.At, OperatorID: r.OperatorID, Username: r.Username,
			ClientAddr: r.ClientAddr, Action: r.Action, Target: r.Target, Detail: r.Detail})
	}
	return p, nil
}

// auditQuery adds f's conditions to q; curID (non-zero) is the cursor's entry, at curAt.
func auditQuery(q *gorm.DB, f AuditFilter, curAt time.Time, curID uint) *gorm.DB {
	if !f.From.IsZero() {
		q = q.Where("at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("at < ?", f.To.UTC())
	}
	if f.OperatorID != nil {
		q = q.Where("operator_id = ?", *f.OperatorID)
	}
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	if t := strings.TrimSpace(f.Target); t != "" {
		if exactTarget(t) {
			q = q.Where("target = ?", t)
		} else {
			q = q.Where(dialectOf(q).contains("target", "?"), t)
		}
	}
	if curID != 0 {
		q = q.Where("(at, id) < (?, ?)", curAt, curID)
	}
	return q
}

// EachAudit calls fn for every entry matching f, newest first, a page at a time (so an export
// of the whole log holds neither the table in memory nor one read transaction for its length).
func (s *Service) EachAudit(ctx context.Context, f AuditFilter, fn func(AuditEntry) error) error {
	for {
		p, err := s.AuditLog(ctx, f, 500)
		if err != nil {
			return err
		}
		for _, e := range p.Entries {
			if err := fn(e); err != nil {
				return err
			}
		}
		if p.Next == 0 {
			return nil
		}
		f.Before = p.Next
	}
}

// exactTarget reports whether t is a whole target, "kind:id", searched through its index.
func exactTarget(t string) bool {
	kind, id, ok := strings.Cut(t, ":")
	if !ok || kind == "" || id == "" {
		return false
	}
	for _, r := range id {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// AuditOperator is an operator as the log's filter offers them.
type AuditOperator struct {
	ID       uint
	Username string
}

// AuditOperators lists every operator (disabled ones too: their entries stay) for the filter.
func (s *Service) AuditOperators(ctx context.Context) ([]AuditOperator, error) {
	var rows []operatorRow
	if err := s.store.db(ctx).Select("id", "username").Order("username").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]AuditOperator, len(rows))
	for i, r := range rows {
		out[i] = AuditOperator{ID: r.ID, Username: r.Username}
	}
	return out, nil
}
