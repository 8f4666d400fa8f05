package models

import (
	_ "embed"
	"strings"
	"sync"
)

// commonPasswordsText is the list of passwords refused as too common (its header says where
// it comes from).
//
//go:embed common_passwords.txt
var commonPasswordsText string

var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	set := map[string]struct{}{}
	for line := range strings.Lines(commonPasswordsText) {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			set[strings.ToLower(line)] = struct{}{}
		}
	}
	return set
})

// isCommonPassword reports whether password is on the list, whatever its letters' case: the
// first ones an attacker tries.
func isCommonPassword(password string) bool {
	_, ok := commonPasswords()[strings.ToLower(password)]
	return ok
}
