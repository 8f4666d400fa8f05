package i18n

import "testing"

// Start-up speaks before any visitor chose a language: both, Chinese first, from the catalogue.
func TestBothRendersChineseThenEnglish(t *testing.T) {
	got := Both("startup.listen", "127.0.0.1:80")
	want := "无法监听 127.0.0.1:80 / cannot listen on 127.0.0.1:80"
	if got != want {
		t.Fatalf("Both = %q, want %q", got, want)
	}
	if got := Both("startup.db_empty"); got != "数据库路径为空 / database path is empty" {
		t.Fatalf("Both without args = %q", got)
	}
}
