package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"qunfa/models"
)

type mutexWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *mutexWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *mutexWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// A database whose key file is lost still starts: start-up says in both languages that the
// stored secrets cannot be read and must be entered again, and runs with the account not
// configured (the sandbox) instead of refusing to start.
func TestRunSaysStoredSecretsAreLostAndKeepsRunning(t *testing.T) {
	db := filepath.Join(t.TempDir(), "qunfa.db")
	st, err := models.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	_, err = models.NewService(st, nil, models.Rules{}, nil).UpdateSettings(context.Background(), models.SettingsChange{
		Settings: models.Settings{AppID: "wx0123456789abcdef", AppSecret: strings.Repeat("a", 32), Token: "tok123",
			MaxArticles: 8, Audience: models.AudienceTags, UploadPath: models.UploadDraft},
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(models.KeyPath(db)); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr mutexWriter
	ready, done := make(chan string, 1), make(chan error, 1)
	go func() {
		done <- run(ctx, nil, envOf(map[string]string{"QUNFA_DB": db, "QUNFA_ADDR": "127.0.0.1:0"}), io.Discard, &stderr, ready)
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("run refused to start: %v\n%s", err, stderr.String())
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	out := stderr.String()
	for _, want := range []string{"无法用当前密钥解密", "请在「设置」页重新填写", "cannot be decrypted", "enter them again on the Settings page", models.KeyPath(db), "sandbox=true"} {
		if !strings.Contains(out, want) {
			t.Errorf("start-up output lacks %q:\n%s", want, out)
		}
	}
	if fi, err := os.Stat(models.KeyPath(db)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("new key file: %v %v", fi, err)
	}
}
