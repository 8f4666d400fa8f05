package models

import (
	"strings"
	"testing"
)

// A URL with a scheme but no host ("http:0", "https:/x") is resolved by a browser against the
// page: it is a relative URL and is dropped like one; real links and images stay.
func TestSanitizeDropsHostlessURLs(t *testing.T) {
	in := `<img src="http:0"><img src="https:/images/1"><a href="http:evil">a</a>` +
		`<a href="https://mp.weixin.qq.com/s/x">ok</a><img src="http://mmbiz.qpic.cn/a/0"><img src="/images/3">`
	for _, out := range []string{SanitizeArticleHTML(in), SanitizeForEditor(in)} {
		for _, bad := range []string{"http:0", "https:/images", "http:evil"} {
			if strings.Contains(out, bad) {
				t.Errorf("kept %q: %s", bad, out)
			}
		}
		for _, good := range []string{`href="https://mp.weixin.qq.com/s/x"`, `src="http://mmbiz.qpic.cn/a/0"`, `src="/images/3"`} {
			if !strings.Contains(out, good) {
				t.Errorf("lost %q: %s", good, out)
			}
		}
	}
}
