package models

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// openAt builds the schema of version v at path by running the real migrations up to v (not a
// copy of their SQL), and returns the raw database to put that version's data in.
func openAt(t *testing.T, path string, v int) *gorm.DB {
	t.Helper()
	gdb, err := gorm.Open(sqlite.Open(dsn(path)), &gorm.Config{Logger: logger.Default.LogMode(logger.Silent)})
	if err != nil {
		t.Fatal(err)
	}
	if err := migrateTo(gdb, v); err != nil {
		t.Fatalf("build version %d: %v", v, err)
	}
	return gdb
}

func closeRaw(t *testing.T, gdb *gorm.DB) {
	t.Helper()
	sqlDB, err := gdb.DB()
	if err == nil {
		err = sqlDB.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
}

// versionData is what a database holds from version `version` on: rows written with that
// version's schema, and what must be true of them once migrated to the newest. A version that
// adds tables or columns worth keeping adds an entry here.
var versionData = []struct {
	version int
	seed    []string
	check   func(t *testing.T, st *Store, from int)
}{
	{1, []string{
		`INSERT INTO operators (id, username, password_hash, created_at) VALUES (1, 'admin', 'hash-v1', '2024-01-02 03:04:05')`,
		`INSERT INTO thumbs (id, filename, data, sha256, media_id, created_at) VALUES (1, 'c.jpg', x'FFD8FF', 'abc', 'THUMB_MEDIA', '2024-01-02 03:04:05')`,
		`INSERT INTO drafts (id, operator_id, created_at, updated_at) VALUES (1, 1, '2024-01-02 03:04:05', '2024-01-02 03:04:05')`,
		`INSERT INTO articles (draft_id, position, title, content, thumb_id) VALUES (1, 0, '第一篇', '<p>正文</p>', 1)`,
		`INSERT INTO articles (draft_id, position, title, content, thumb_id) VALUES (1, 1, '第二篇', '<p>二</p>', 1)`,
		`INSERT INTO sends (id, idem_key, draft_id, title, target, group_id, articles_json, media_id, state, operator_id, created_at, status, sent_count)
			VALUES (1, 'key-1', 1, '第一篇', 'group', 100, '[]', 'MEDIA_1', 'done', 1, '2024-01-02 03:04:05', 'send success', 42)`,
		`INSERT INTO send_batches (send_id, batch_index, client_msg_id, state, msg_id) VALUES (1, 0, 'cmid-1', 'done', 1000001)`,
		`INSERT INTO send_history (send_id, at, operator_id, action) VALUES (1, '2024-01-02 03:04:05', 1, 'created')`,
	}, func(t *testing.T, st *Store, from int) {
		ctx := context.Background()
		op, err := st.Operator(ctx, 1)
		if err != nil || op.Username != "admin" || op.Role != RoleAdmin || op.DisabledAt != nil {
			t.Errorf("operator (an admin before roles existed, enabled): %+v %v", op, err)
		}
		d, err := NewService(st, nil, Rules{}, nil).Draft(ctx, 1)
		if err != nil || len(d.Articles) != 2 || d.Articles[0].Title != "第一篇" || d.Articles[1].Content != "<p>二</p>" {
			t.Errorf("draft: %+v %v", d, err)
		}
		var s struct {
			Title, State, MediaID, Audience, UploadPath string
			SentCount                                   int
			MsgID                                       int64
		}
		if err := st.gdb.Raw(`SELECT s.title, s.state, s.media_id, s.audience, s.upload_path, s.sent_count, b.msg_id
			FROM sends s JOIN send_batches b ON b.send_id = s.id WHERE s.id = 1`).Scan(&s).Error; err != nil {
			t.Fatal(err)
		}
		// Sends made before migration 5 were made under the seed's profile.
		if s.Title != "第一篇" || s.State != "done" || s.MediaID != "MEDIA_1" || s.SentCount != 42 || s.MsgID != 1000001 ||
			s.Audience != AudienceGroups || s.UploadPath != UploadNews {
			t.Errorf("send of version %d after migration: %+v", from, s)
		}
	}},
	{2, []string{
		`INSERT INTO access_tokens (app_id, token, expires_at, updated_at) VALUES ('wxOLD', 'TOKEN-V2', '2030-01-01 00:00:00', '2024-01-02 03:04:05')`,
		`UPDATE send_batches SET article_urls = 'https://mp.weixin.qq.com/s/x' WHERE send_id = 1`,
	}, func(t *testing.T, st *Store, from int) {
		if tok, _, err := st.AccessTokens("wxOLD").Load(context.Background()); err != nil || tok != "TOKEN-V2" {
			t.Errorf("access token: %q %v", tok, err)
		}
		var urls string
		st.gdb.Raw(`SELECT article_urls FROM send_batches WHERE send_id = 1`).Scan(&urls)
		if urls != "https://mp.weixin.qq.com/s/x" {
			t.Errorf("article urls: %q", urls)
		}
	}},
	{3, []string{
		`INSERT INTO images (id, filename, content_type, data, sha256, wechat_url, created_at) VALUES (1, 'p.png', 'image/png', x'89504E47', 'def', 'https://mmbiz.qpic.cn/x', '2024-01-02 03:04:05')`,
	}, func(t *testing.T, st *Store, from int) {
		img, err := NewService(st, nil, Rules{}, nil).Image(context.Background(), 1)
		if err != nil || img.ContentType != "image/png" || !bytes.Equal(img.Data, []byte{0x89, 'P', 'N', 'G'}) {
			t.Errorf("image: %+v %v", img, err)
		}
	}},
	{4, []string{
		`INSERT INTO settings (key, value, updated_at) VALUES ('appid', 'wxSTORED', '2024-01-02 03:04:05'), ('max_articles', '6', '2024-01-02 03:04:05')`,
	}, func(t *testing.T, st *Store, from int) {
		s, err := st.Settings(context.Background())
		if err != nil || s.AppID != "wxSTORED" || s.MaxArticles != 6 {
			t.Errorf("settings: %v %v", s, err)
		}
	}},
	{5, []string{
		`INSERT INTO sends (id, idem_key, draft_id, title, target, group_id, articles_json, state, created_at, audience, upload_path)
			VALUES (2, 'key-2', 1, 'by tag', 'group', 7, '[]', 'done', '2024-01-02 03:04:05', 'tags', 'draft')`,
	}, func(t *testing.T, st *Store, from int) {
		var s struct{ Audience, UploadPath string }
		st.gdb.Raw(`SELECT audience, upload_path FROM sends WHERE id = 2`).Scan(&s)
		if s.Audience != AudienceTags || s.UploadPath != UploadDraft {
			t.Errorf("send of version 5's profile: %+v", s)
		}
	}},
	{6, []string{
		`INSERT INTO previews (draft_id, to_wxname, msg_id, at) VALUES (1, 'someone', 77, '2024-01-02 03:04:05')`,
	}, func(t *testing.T, st *Store, from int) {
		var msgID int64
		st.gdb.Raw(`SELECT msg_id FROM previews WHERE draft_id = 1 AND to_wxname = 'someone'`).Scan(&msgID)
		if msgID != 77 {
			t.Errorf("preview: msg_id %d", msgID)
		}
	}},
	{7, []string{
		`UPDATE sends SET article_removed_by = 2 WHERE id = 1`,
	}, func(t *testing.T, st *Store, from int) {
		s, err := NewService(st, nil, Rules{}, nil).Send(context.Background(), 1)
		if err != nil || s.ArticleRemovedBy != 2 {
			t.Errorf("send 1 after migration: article removed by %d, %v; want 2", s.ArticleRemovedBy, err)
		}
	}},
	{8, []string{
		`INSERT INTO plan_lists (id, draft_id, operator_id, open_ids, created_at) VALUES ('list-v8', 1, 1, 'oA' || char(10) || 'oB', '2024-01-02 03:04:05')`,
	}, func(t *testing.T, st *Store, from int) {
		var ids string
		st.gdb.Raw(`SELECT open_ids FROM plan_lists WHERE id = 'list-v8'`).Scan(&ids)
		if ids != "oA\noB" {
			t.Errorf("plan list: %q", ids)
		}
	}},
	{9, []string{
		`INSERT INTO wechat_quotas (day, endpoint, daily_limit, used, remain, spent, checked_at)
			VALUES ('2024-01-02', 'message/mass/sendall', 100, 3, 97, 0, '2024-01-02 03:04:05')`,
	}, func(t *testing.T, st *Store, from int) {
		var remain int
		st.gdb.Raw(`SELECT remain FROM wechat_quotas WHERE day = '2024-01-02' AND endpoint = 'message/mass/sendall'`).Scan(&remain)
		if remain != 97 {
			t.Errorf("WeChat quota row: remain %d", remain)
		}
	}},
	{11, []string{
		`INSERT INTO sends (id, idem_key, draft_id, title, target, group_id, articles_json, state, created_at, catch_up_of)
			VALUES (3, 'key-3', 1, 'catch-up', 'openids', 0, '[]', 'finished', '2024-01-02 03:04:05', 1)`,
	}, func(t *testing.T, st *Store, from int) {
		s, err := NewService(st, nil, Rules{}, nil).Send(context.Background(), 3)
		if err != nil || s.CatchUpOf != 1 {
			t.Errorf("catch-up send after migration: of %d, %v; want 1", s.CatchUpOf, err)
		}
	}},
	{12, []string{
		`INSERT INTO schedules (id, idem_key, draft_id, title, target, open_ids, list_count, operator_id, due_at, state, created_at, updated_at)
			VALUES (1, 'form-v12', 1, '第一篇', 'openids', 'oA' || char(10) || 'oB', 2, 1, '2024-01-03 00:05:00', 'missed', '2024-01-02 03:04:05', '2024-01-02 03:04:05')`,
	}, func(t *testing.T, st *Store, from int) {
		sc, err := NewService(st, nil, Rules{}, nil).Schedule(context.Background(), 1)
		if err != nil || sc.State != ScheduleMissed || sc.ListCount != 2 || sc.Title != "第一篇" || sc.DueAt.Year() != 2024 {
			t.Errorf("schedule: %+v, %v", sc, err)
		}
	}},
	{13, []string{
		`INSERT INTO audiences (id, name, kind, source, lines, size, invalid, created_at, updated_at)
			VALUES (1, '老客户', 'list', 'csv', 3, 2, 1, '2024-01-02 03:04:05', '2024-01-02 03:04:05')`,
		`INSERT INTO audience_members (audience_id, open_id, line) VALUES (1, 'oAudience001', 2), (1, 'oAudience002', 3)`,
		`INSERT INTO audience_problems (audience_id, seq, reason, line, value) VALUES (1, 1, 'openid.invalid', 4, 'bad!')`,
	}, func(t *testing.T, st *Store, from int) {
		svc := NewService(st, nil, Rules{}, nil)
		a, err := svc.SavedAudience(context.Background(), 1)
		n, _ := svc.AudienceCount(context.Background(), a)
		ps, _ := svc.AudienceProblems(context.Background(), 1)
		if err != nil || a.Name != "老客户" || a.Size != 2 || n != 2 || len(ps) != 1 || ps[0].Line != 4 {
			t.Errorf("audience: %+v %v, %d members, report %+v", a, err, n, ps)
		}
	}},
	{14, []string{
		`INSERT INTO follower_syncs (id, mode, phase, cursor, listed, total, phase_started_at, started_at, updated_at)
			VALUES (1, 'full', 'listing', 'oNEXT', 10000, 25000, '2024-01-02 03:04:05', '2024-01-02 03:04:05', '2024-01-02 03:04:06')`,
	}, func(t *testing.T, st *Store, from int) {
		j, err := NewService(st, nil, Rules{}, nil).LatestFollowerSync(context.Background())
		if err != nil || j.Phase != phaseListing || j.Listed != 10000 || !j.Running() {
			t.Errorf("unfinished follower sync after migration: %+v, %v", j, err)
		}
	}},
	{16, []string{
		`INSERT INTO operators (id, username, password_hash, created_at, role, disabled_at, last_login_at, session_epoch)
			VALUES (16, 'editor16', 'hash-v16', '2024-01-02 03:04:05', 'editor', '2024-01-03 00:00:00', '2024-01-02 04:00:00', 3)`,
	}, func(t *testing.T, st *Store, from int) {
		op, err := st.Operator(context.Background(), 16)
		if err != nil || op.Role != RoleEditor || op.DisabledAt == nil || op.LastLoginAt == nil || op.LastLoginAt.Hour() != 4 || op.SessionEpoch != 3 {
			t.Errorf("operator with a last login and a session epoch: %+v, %v", op, err)
		}
		if op.MustChangePassword {
			t.Errorf("an operator from before version 24 must change their password: %+v", op)
		}
	}},
	// The ledger as version 18 left it: migration 19 counts its levels.
	{18, []string{
		`INSERT INTO follower_months (month, open_id, received) VALUES ('2024-01', 'oLedger1', 1), ('2024-01', 'oLedger2', 1),
			('2024-01', 'oLedger3', 4), ('2024-02', 'oLedger1', 2)`,
	}, func(t *testing.T, st *Store, from int) {
		if from >= 19 {
			return // written straight into the ledger of a database that has levels: no ledger write counted them
		}
		jan, err1 := st.monthLevels(context.Background(), "2024-01")
		feb, err2 := st.monthLevels(context.Background(), "2024-02")
		if err1 != nil || err2 != nil || fmt.Sprint(jan) != "[{1 2} {4 1}]" || fmt.Sprint(feb) != "[{2 1}]" {
			t.Errorf("ledger levels after migration 19: %v %v (%v %v)", jan, feb, err1, err2)
		}
	}},
	{20, []string{
		`INSERT INTO article_stats (msg_data_id, article_idx, stat_date, ref_date, title, int_page_read_user, fetched_at)
			VALUES (2247483654, 1, '2024-01-03', '2024-01-02', '第一篇', 42, '2024-01-04 02:00:00')`,
	}, func(t *testing.T, st *Store, from int) {
		r, err := NewService(st, nil, Rules{}, nil).SendReadStats(context.Background(), Send{Batches: []Batch{{MsgDataID: 2247483654}}})
		if err != nil || len(r.Days) != 1 || r.LeadReaders != 42 || r.Articles[0].Title != "第一篇" {
			t.Errorf("reading statistics after migration: %+v, %v", r, err)
		}
	}},
	{21, []string{
		// A seed above 2^63 is stored as its bits in a signed BIGINT and read back the same.
		`INSERT INTO ab_tests (id, idem_key, draft_a_id, draft_b_id, title_a, title_b, audience_kind, audience_ref, audience_name,
			audience_size, share_pct, half_size, seed, send_a_id, send_b_id, judge_at, operator_id, created_at)
			VALUES (1, 'abtest:k', 1, 2, '标题 A', '标题 B', 'group', 100, '北京用户', 400, 25, 100, -2, 1, 1,
			'2024-01-03 03:04:05', 1, '2024-01-02 03:04:05')`,
	}, func(t *testing.T, st *Store, from int) {
		ab, err := NewService(st, nil, Rules{}, nil).ABTest(context.Background(), 1)
		if err != nil || ab.Seed != 1<<64-2 || ab.TitleB != "标题 B" || ab.Rest() != 200 || ab.JudgeAt.Day() != 3 {
			t.Errorf("A/B test after migration: %+v, %v", ab, err)
		}
	}},
	{23, []string{
		// What the backfill writes for draft 1 when migrating from an earlier version.
		`INSERT INTO draft_versions (draft_id, revision, operator_id, kind, title, size, content_hash, articles_json, created_at, updated_at)
			VALUES (1, 1, 1, 'save', '第一篇', 22, 'h', '[{"Title":"第一篇","Author":"","Digest":"","Content":"<p>正文</p>","SourceURL":"","ShowCoverPic":false,"ThumbID":1},{"Title":"第二篇","Author":"","Digest":"","Content":"<p>二</p>","SourceURL":"","ShowCoverPic":false,"ThumbID":1}]', '2024-01-02 03:04:05', '2024-01-02 03:04:05')`,
	}, func(t *testing.T, st *Store, from int) {
		// Drafts from before revisions are at revision 1, with their content as their first version.
		svc := NewService(st, nil, Rules{}, nil)
		d, err := svc.Draft(context.Background(), 1)
		vs, verr := svc.DraftVersions(context.Background(), 1)
		if err != nil || verr != nil || d.Revision != 1 || len(vs) != 1 || vs[0].Revision != 1 || vs[0].Title != "第一篇" || vs[0].Size != 22 {
			t.Fatalf("draft 1 from version %d: r%d %v, versions %+v %v", from, d.Revision, err, vs, verr)
		}
		v, err := svc.DraftVersionByID(context.Background(), 1, vs[0].ID)
		if err != nil || len(v.Articles) != 2 || v.Articles[1].Content != "<p>二</p>" || v.Articles[0].ThumbID != 1 {
			t.Errorf("draft 1's first version: %+v %v", v.Articles, err)
		}
	}},
	{24, []string{
		`INSERT INTO operators (id, username, password_hash, created_at, role, session_epoch, must_change_password)
			VALUES (24, 'reset24', 'hash-v24', '2025-01-02 03:04:05', 'viewer', 1, 1)`,
	}, func(t *testing.T, st *Store, from int) {
		op, err := st.Operator(context.Background(), 24)
		if err != nil || !op.MustChangePassword || op.Role != RoleViewer {
			t.Errorf("an operator who must choose a password: %+v, %v", op, err)
		}
	}},
}

// A database of every version the binary knows, with data in it, migrates to the newest and
// keeps its data; its schema then is the one a new database gets.
func TestMigrateEveryEarlierVersionKeepsItsData(t *testing.T) {
	fresh := schemaOf(t, openAt(t, filepath.Join(t.TempDir(), "fresh.db"), latestVersion()))
	for _, m := range migrations {
		t.Run(fmt.Sprintf("from_v%d", m.version), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "old.db")
			old := openAt(t, path, m.version)
			for _, d := range versionData {
				if d.version > m.version {
					break
				}
				for _, q := range d.seed {
					if err := old.Exec(q).Error; err != nil {
						t.Fatalf("seed of version %d on a version-%d database: %v", d.version, m.version, err)
					}
				}
			}
			closeRaw(t, old)

			st, err := Open(path)
			if err != nil {
				t.Fatalf("migrate from version %d: %v", m.version, err)
			}
			defer st.Close()
			if v, err := st.SchemaVersion(context.Background()); err != nil || v != latestVersion() {
				t.Fatalf("version after migration = %d, %v; want %d", v, err, latestVersion())
			}
			for _, d := range versionData {
				if d.version <= m.version {
					d.check(t, st, m.version)
				}
			}
			if got := schemaOf(t, st.gdb); got != fresh {
				t.Errorf("schema migrated from version %d differs from a new database's:\n%s\nwant\n%s", m.version, got, fresh)
			}
		})
	}
}

func schemaOf(t *testing.T, gdb *gorm.DB) string {
	t.Helper()
	var stmts []string
	if err := gdb.Raw(`SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type, name`).Scan(&stmts).Error; err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for _, s := range stmts {
		b.WriteString(s)
		b.WriteString(";\n")
	}
	return b.String()
}

// Every version of the list is there, in order, once: the slice is the schema's history.
func TestMigrationsAreNumberedInOrder(t *testing.T) {
	for i, m := range migrations {
		if m.version != i+1 || m.up == nil || m.name == "" {
			t.Fatalf("migrations[%d] = version %d %q", i, m.version, m.name)
		}
	}
}

// A database written by a newer Qunfa (a schema version above the newest known) is refused,
// with both versions, and left exactly as it was.
func TestNewerDatabaseIsRefusedAndLeftAlone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "newer.db")
	st, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	newer := latestVersion() + 1
	if err := st.gdb.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, '2030-01-01 00:00:00')`, newer).Error; err != nil {
		t.Fatal(err)
	}
	if err := st.gdb.Exec(`CREATE TABLE from_the_future (x INTEGER)`).Error; err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	_, err = Open(path)
	var tooNew *SchemaTooNewError
	if !errors.As(err, &tooNew) || tooNew.Database != newer || tooNew.Known != latestVersion() {
		t.Fatalf("Open of a newer database = %v; want SchemaTooNewError{%d, %d}", err, newer, latestVersion())
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Fatal("the refused database was modified")
	}
	if _, err := os.Stat(path + "-wal"); !os.IsNotExist(err) {
		t.Errorf("a WAL file was left behind: %v", err)
	}
}
