package models

import "strings"

// OpenIDProblem is a line of a pasted OpenID list that will not be sent to.
type OpenIDProblem struct {
	Line   int    // 1-based line of the pasted text
	Value  string // the offending value as written
	Reason string // catalogue key: "openid.duplicate" | "openid.invalid" (an import adds "openid.unknown" | "openid.unsubscribed")
}

// validOpenID is ^[A-Za-z0-9_-]{6,64}$, without a regexp: an import checks 100,000 of them.
func validOpenID(v string) bool {
	if len(v) < 6 || len(v) > 64 {
		return false
	}
	for i := 0; i < len(v); i++ {
		switch b := v[i]; {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9', b == '_', b == '-':
		default:
			return false
		}
	}
	return true
}

// openIDChecker is the one definition of a valid, distinct OpenID: the send form's pasted list
// and an audience's import (paste, CSV, XLSX) feed their entries through it.
type openIDChecker struct {
	seen     map[string]bool
	ids      []string
	lines    []int // the line of each of ids
	problems []OpenIDProblem
}

func newOpenIDChecker() *openIDChecker { return &openIDChecker{seen: make(map[string]bool)} }

// add checks one entry (spaces trimmed; blank entries ignored).
func (c *openIDChecker) add(line int, v string) {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
	case !validOpenID(v):
		c.problems = append(c.problems, OpenIDProblem{Line: line, Value: v, Reason: "openid.invalid"})
	case c.seen[v]:
		c.problems = append(c.problems, OpenIDProblem{Line: line, Value: v, Reason: "openid.duplicate"})
	default:
		c.seen[v] = true
		c.ids = append(c.ids, v)
		c.lines = append(c.lines, line)
	}
}

// pastedEntries calls fn for every entry of a pasted list: one per line, or comma separated.
func pastedEntries(text string, fn func(line int, v string)) {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	for i, line := range strings.Split(text, "\n") {
		for _, field := range strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == '，' || r == ';' }) {
			fn(i+1, field)
		}
	}
}

// ParseOpenIDs reads a pasted list (one per line, or comma separated; spaces trimmed; blank entries
// ignored) and returns the distinct valid OpenIDs in order, plus every duplicate or invalid entry.
func ParseOpenIDs(text string) (ids []string, problems []OpenIDProblem) {
	c := newOpenIDChecker()
	pastedEntries(text, c.add)
	return c.ids, c.problems
}
