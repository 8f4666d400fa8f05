package i18n

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

func TestCataloguesHaveSameKeysAndNoEmptyValues(t *testing.T) {
	for key, v := range zh {
		if _, ok := en[key]; !ok {
			t.Errorf("key %q is in zh but not in en", key)
		}
		if strings.TrimSpace(v) == "" {
			t.Errorf("zh[%q] is empty", key)
		}
	}
	for key, v := range en {
		if _, ok := zh[key]; !ok {
			t.Errorf("key %q is in en but not in zh", key)
		}
		if strings.TrimSpace(v) == "" {
			t.Errorf("en[%q] is empty", key)
		}
	}
}

// The same fmt verbs in both languages, so T(lang, key, args...) formats
// the same arguments whichever language is chosen.
func TestCataloguesUseSameVerbs(t *testing.T) {
	verb := regexp.MustCompile(`%[dsvq]`)
	for key, z := range zh {
		a, b := verb.FindAllString(z, -1), verb.FindAllString(en[key], -1)
		if strings.Join(a, ",") != strings.Join(b, ",") {
			t.Errorf("%q: zh verbs %v, en verbs %v", key, a, b)
		}
	}
}

func TestT(t *testing.T) {
	tests := []struct {
		lang, key string
		args      []any
		want      string
	}{
		{"zh", "nav.drafts", nil, "草稿"},
		{"en", "nav.drafts", nil, "Drafts"},
		{"", "nav.sends", nil, "发送记录"},
		{"fr", "nav.sends", nil, "发送记录"},
		{"zh", "nav.quota", []any{7, 10}, "今日剩余调用 7/10"},
		{"en", "nav.quota", []any{7, 10}, "API calls left today 7/10"},
		{"en", "no.such.key", nil, "no.such.key"},
	}
	for _, tt := range tests {
		if got := T(tt.lang, tt.key, tt.args...); got != tt.want {
			t.Errorf("T(%q, %q) = %q, want %q", tt.lang, tt.key, got, tt.want)
		}
	}
}

// Every catalogue key the code refers to — validation keys from models,
// history actions, states, OpenID problems and everything the views and
// handlers use — must exist.
func TestEveryKeyUsedInSourceExists(t *testing.T) {
	root := filepath.Join("..", "..")
	quoted := regexp.MustCompile(`"((?:err|history|state|openid|flash)\.[a-z0-9_.]+)"`)
	tcall := regexp.MustCompile(`\.T\("([a-z0-9_]+\.[a-z0-9_.]+)"`)
	used := map[string][]string{}
	for _, dir := range []string{"models", "handlers", "views"} {
		files, _ := filepath.Glob(filepath.Join(root, dir, "*.go"))
		templs, _ := filepath.Glob(filepath.Join(root, dir, "*.templ"))
		for _, f := range append(files, templs...) {
			if strings.HasSuffix(f, "_templ.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, re := range []*regexp.Regexp{quoted, tcall} {
				for _, m := range re.FindAllStringSubmatch(string(b), -1) {
					key := strings.TrimSuffix(m[1], ".")
					used[key] = append(used[key], f)
				}
			}
		}
	}
	if len(used) < 20 {
		t.Fatalf("found only %d keys in the source; is the scan broken?", len(used))
	}
	// Keys built at run time: state.<send state>, errcode.*, status.*.
	for _, k := range dynamicKeys(t) {
		used[k] = append(used[k], "dynamic keys")
	}
	var missing []string
	for key, where := range used {
		if key == "state" || strings.HasSuffix(key, "_test") {
			continue
		}
		if _, ok := zh[key]; !ok {
			missing = append(missing, key+" (used in "+where[0]+")")
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("catalogue lacks %s", m)
	}
}

// Words are picked by key, never by branching on the language in handlers or views.
func TestNoLanguageBranches(t *testing.T) {
	root := filepath.Join("..", "..")
	branch := regexp.MustCompile(`(?i)lang\s*[!=]=\s*"(en|zh)"|"(en|zh)"\s*[!=]=`)
	for _, dir := range []string{"handlers", "views"} {
		files, _ := filepath.Glob(filepath.Join(root, dir, "*.go"))
		templs, _ := filepath.Glob(filepath.Join(root, dir, "*.templ"))
		for _, f := range append(files, templs...) {
			if strings.HasSuffix(f, "_templ.go") || strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if m := branch.Find(b); m != nil {
				t.Errorf("%s branches on the language (%s): use a catalogue key", f, m)
			}
		}
	}
}
