package models

import (
	"regexp"
	"strings"
)

// OpenIDProblem is a line of a pasted OpenID list that will not be sent to.
type OpenIDProblem struct {
	Line   int    // 1-based line of the pasted text
	Value  string // the offending value as written
	Reason string // catalogue key: "openid.duplicate" | "openid.invalid"
}

var openIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{6,64}$`)

// ParseOpenIDs reads a pasted list (one per line, or comma separated; spaces trimmed; blank entries
// ignored) and returns the distinct valid OpenIDs in order, plus every duplicate or invalid entry.
func ParseOpenIDs(text string) (ids []string, problems []OpenIDProblem) {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	seen := make(map[string]bool)
	for i, line := range strings.Split(text, "\n") {
		for _, field := range strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == '，' || r == ';' }) {
			v := strings.TrimSpace(field)
			if v == "" {
				continue
			}
			switch {
			case !openIDRE.MatchString(v):
				problems = append(problems, OpenIDProblem{Line: i + 1, Value: v, Reason: "openid.invalid"})
			case seen[v]:
				problems = append(problems, OpenIDProblem{Line: i + 1, Value: v, Reason: "openid.duplicate"})
			default:
				seen[v] = true
				ids = append(ids, v)
			}
		}
	}
	return ids, problems
}
