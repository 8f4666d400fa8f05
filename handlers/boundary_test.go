package handlers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

// Handlers go through the Service: none reaches the store behind it, nor GORM.
func TestHandlersDoNotReachPastTheService(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{".Store()", "gorm.io/"} {
			if strings.Contains(string(b), bad) {
				t.Errorf("%s uses %s: give the Service a method instead", f, bad)
			}
		}
	}
}

// Building the web application leaves gin's process-wide mode alone.
func TestNewDoesNotChangeGinMode(t *testing.T) {
	was := gin.Mode()
	t.Cleanup(func() { gin.SetMode(was) })
	gin.SetMode(gin.TestMode)
	newTestApp(t)
	if got := gin.Mode(); got != gin.TestMode {
		t.Errorf("gin mode after New = %q, want %q unchanged", got, gin.TestMode)
	}
}
