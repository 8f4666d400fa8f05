// Package i18n is the one catalogue of every string the dashboard shows, in
// Simplified Chinese (the default) and English.
package i18n

import "fmt"

// Languages the catalogue is complete for; the first is the default.
var Languages = []string{"zh", "en"}

// Normalize maps any requested language to one the catalogue has.
func Normalize(lang string) string {
	if lang == "en" {
		return "en"
	}
	return "zh"
}

// T returns the text for key in lang, formatted with args (fmt verbs) when
// any are given. An unknown key is returned as-is so a gap is visible on the
// page; the catalogue test keeps that from happening.
func T(lang, key string, args ...any) string {
	msg, ok := catalogue[Normalize(lang)][key]
	if !ok {
		if msg, ok = zh[key]; !ok {
			return key
		}
	}
	if len(args) == 0 {
		return msg
	}
	return fmt.Sprintf(msg, args...)
}

var catalogue = map[string]map[string]string{"zh": zh, "en": en}

// add merges one area's strings (kept in a file of its own) into a
// language's catalogue. A key defined twice is a programming error.
func add(lang string, m map[string]string) {
	dst := catalogue[lang]
	for k, v := range m {
		if _, dup := dst[k]; dup {
			panic("i18n: key defined twice: " + k)
		}
		dst[k] = v
	}
}
