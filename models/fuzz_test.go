package models

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/net/html"
)

// openIDShape is the OpenID rule written independently of validOpenID.
var openIDShape = regexp.MustCompile(`^[A-Za-z0-9_-]{6,64}$`)

// entrySplit counts the non-blank entries of a pasted list on its own (lines, then , ， ;).
var lineSplit, entrySplit = regexp.MustCompile(`\r\n|\r|\n`), regexp.MustCompile(`[,，;]`)

func pastedLines(text string) []string { return lineSplit.Split(text, -1) }

// checkAccepted asserts what every OpenID list parser promises: each accepted ID has the OpenID
// shape, none twice; each duplicate names an accepted ID; each problem is on a real line.
func checkAccepted(t *testing.T, ids []string, problems []OpenIDProblem, lines int) {
	t.Helper()
	seen := map[string]bool{}
	for _, id := range ids {
		if !openIDShape.MatchString(id) || seen[id] {
			t.Fatalf("accepted %q (seen before: %v)", id, seen[id])
		}
		seen[id] = true
	}
	for _, p := range problems {
		if p.Line < 1 || p.Line > lines || strings.TrimSpace(p.Value) != p.Value || p.Value == "" {
			t.Fatalf("problem %+v (of %d lines)", p, lines)
		}
		switch p.Reason {
		case "openid.duplicate":
			if !seen[p.Value] {
				t.Fatalf("duplicate of nothing accepted: %+v", p)
			}
		case "openid.invalid":
			if openIDShape.MatchString(p.Value) {
				t.Fatalf("a well-formed OpenID called invalid: %+v", p)
			}
		default:
			t.Fatalf("unknown reason: %+v", p)
		}
	}
}

// FuzzParseOpenIDs: every accepted ID has the OpenID shape and is distinct, and accepted plus
// problems account for every non-blank entry; each problem's value is on its line; the accepted
// IDs pasted back give themselves and nothing else.
func FuzzParseOpenIDs(f *testing.F) {
	for _, s := range []string{
		"oABCDEF1, oABCDEF2\r\n\n  oABCDEF1 \nbad id!\nshort\noABCDEF3，oABCDEF4",
		"OpenID\n" + oid(1) + ", " + oid(2) + "\n\n" + oid(2),
		oid(1) + ";x\n" + oid(2) + ";y\n",
		"\r\r\n\n,,;;，", strings.Repeat("a", 64) + "\n" + strings.Repeat("b", 65), "ö_-ABC123\u00a0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		ids, problems := ParseOpenIDs(text)
		lines := pastedLines(text)
		entries := 0
		for _, l := range lines {
			for _, e := range entrySplit.Split(l, -1) {
				if strings.TrimSpace(e) != "" {
					entries++
				}
			}
		}
		if len(ids)+len(problems) != entries {
			t.Fatalf("%d accepted + %d problems for %d entries", len(ids), len(problems), entries)
		}
		checkAccepted(t, ids, problems, len(lines))
		for _, p := range problems {
			if !strings.Contains(lines[p.Line-1], p.Value) {
				t.Fatalf("problem %+v is not on line %d: %q", p, p.Line, lines[p.Line-1])
			}
		}
		again, more := ParseOpenIDs(strings.Join(ids, "\n"))
		if !slices.Equal(again, ids) || len(more) != 0 {
			t.Fatalf("pasting the accepted back: %v %v, want %v", again, more, ids)
		}
	})
}

func xlsxSeed(f *testing.F, rows [][]any) []byte {
	x := excelize.NewFile()
	for i, r := range rows {
		if r != nil {
			if err := x.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+1), &r); err != nil {
				f.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		f.Fatal(err)
	}
	return buf.Bytes()
}

// FuzzAudienceImport: a CSV, an XLSX or a paste is either refused with a file error or gives IDs
// of the OpenID shape, distinct, each on a line of its own (for a CSV, a line of the file), with
// accepted plus problems equal to the non-blank entries counted; the accepted IDs written back
// as a CSV import as themselves with no problem.
func FuzzAudienceImport(f *testing.F) {
	csvSeed := "\uFEFF昵称,OpenID\r\n张三, " + oid(1) + " \r\n\r\n李四,\"" + oid(2) + "\"\r\n王五,not an openid\r\n张三again," + oid(1) + "\r\n"
	for _, s := range []string{csvSeed, oid(1) + ";x\n" + oid(2) + ";y\n", "openid\r\n\r\n", "a\tOPEN_ID\n1\t" + oid(3) + "\n",
		"\"" + oid(4) + "\nx\",y\n", "\x89PNG\r\n\x1a\n\x00", "PK\x03\x04 not really a zip"} {
		f.Add([]byte(s), "")
	}
	f.Add([]byte(nil), "OpenID\n"+oid(1)+", "+oid(2)+"\n\n"+oid(2))
	f.Add(xlsxSeed(f, [][]any{{"序号", "openid"}, {1, oid(1)}, {2, oid(1)}, nil, {4, "bad id!"}, {5, oid(2)}, {6, "  " + oid(9) + "  "}}), "")
	f.Add(xlsxSeed(f, [][]any{{oid(5)}, {"x"}, {12345678}}), "")
	f.Fuzz(func(t *testing.T, file []byte, text string) {
		if len(file) > 1<<20 {
			return
		}
		c, entries, source, err := parseAudienceImport(AudienceImport{Text: text, File: file})
		if err != nil {
			if len(file) == 0 || audienceFieldKey(err, FieldAudienceFile) == "" {
				t.Fatalf("refusal that is not a file error: %v", err)
			}
			return
		}
		if want := map[bool]string{true: "paste", false: fileKind(file)}[len(file) == 0]; source != want {
			t.Fatalf("source %q, want %q", source, want)
		}
		if len(c.ids)+len(c.problems) != entries || len(c.lines) != len(c.ids) {
			t.Fatalf("%d accepted + %d problems for %d entries (%d lines)", len(c.ids), len(c.problems), entries, len(c.lines))
		}
		maxLine := 1 << 30
		if source != "xlsx" {
			body := string(file)
			if source == "paste" {
				body = text
			}
			maxLine = len(pastedLines(body))
		}
		checkAccepted(t, c.ids, c.problems, maxLine)
		if !slices.IsSorted(c.lines) || (len(c.lines) > 0 && (c.lines[0] < 1 || c.lines[len(c.lines)-1] > maxLine)) {
			t.Fatalf("lines %v (of %d)", c.lines, maxLine)
		}
		var back bytes.Buffer
		back.WriteString("openid\r\n")
		for _, id := range c.ids {
			back.WriteString(id + "\r\n")
		}
		c2, n2, _, err := parseAudienceImport(AudienceImport{File: back.Bytes()})
		if len(c.ids) == 0 {
			return
		}
		if err != nil || !slices.Equal(c2.ids, c.ids) || len(c2.problems) != 0 || n2 != len(c.ids) {
			t.Fatalf("accepted IDs written back: %v %v, %v", c2.ids, c2.problems, err)
		}
	})
}

// checkSafeHTML asserts sanitised HTML holds no script, no event handler, no style or script
// element, and URLs only of the allowed schemes (data: only for images, and only when allowed).
func checkSafeHTML(t *testing.T, out string, dataImages bool) {
	t.Helper()
	if strings.Contains(strings.ToLower(out), "<script") {
		t.Fatalf("<script in %q", out)
	}
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		switch tok.Data {
		case "script", "style", "iframe", "object", "embed", "svg", "math", "form", "base", "meta", "link":
			t.Fatalf("<%s> in %q", tok.Data, out)
		}
		for _, a := range tok.Attr {
			if strings.HasPrefix(a.Key, "on") || a.Key == "class" || a.Key == "srcdoc" || a.Key == "formaction" {
				t.Fatalf("attribute %s in %q", a.Key, out)
			}
			if a.Key != "href" && a.Key != "src" && a.Key != "cite" {
				if strings.Contains(strings.ToLower(a.Val), "javascript:") && a.Key == "style" {
					t.Fatalf("javascript: in style: %q", out)
				}
				continue
			}
			u := strings.ToLower(strings.Map(func(r rune) rune {
				if r <= ' ' || r == 0x7f {
					return -1
				}
				return r
			}, a.Val))
			switch {
			case strings.HasPrefix(u, "http://"), strings.HasPrefix(u, "https://"):
			case a.Key == "href" && strings.HasPrefix(u, "mailto:"):
			case a.Key == "src" && tok.Data == "img" && imagePathRE.MatchString(a.Val):
			case a.Key == "src" && tok.Data == "img" && dataImages && strings.HasPrefix(u, "data:image/"):
			default:
				t.Fatalf("%s=%q on <%s> in %q", a.Key, a.Val, tok.Data, out)
			}
		}
	}
}

// FuzzSanitizeArticleHTML: the stored and the editor sanitisers are idempotent (sanitising what
// they return changes nothing, so re-saving a draft never alters it) and leave no script, event
// handler or script URL, and no relative URL but our own /images/N.
func FuzzSanitizeArticleHTML(f *testing.F) {
	for _, s := range []string{
		`<section style="color: red; position: absolute" class="x" onclick="alert(1)"><p>hi</p>` +
			`<script>alert(1)</script><a href="javascript:alert(1)">bad</a><a href="https://mp.weixin.qq.com/">ok</a>` +
			`<img src="https://mmbiz.qpic.cn/a.jpg" onerror="x()"><img src="/relative.png"></section>`,
		`<p><img src="/images/12" style="width: 300px" onerror="x()" alt="a"></p><img src="http://mmbiz.qpic.cn/mmbiz_jpg/abc/0" style="max-width: 100%">` +
			`<img src="/images/12/../../secret"><img src="/images/x"><a href="/images/12">link</a><img src="https://qunfa.invalid/images/4">`,
		`<p style="color: red" onclick="alert(1)">hi<script>alert(2)</script><img src="data:image/png;base64,iVBORw0KGgo="></p>`,
		`<p style="color:red">你好</p><script>alert(1)</script>`,
		`<a href="jav&#x09;ascript:alert(1)">x</a><a href=" JaVaScRiPt:alert(1)">y</a><img src=x onerror=alert(1)//>`,
		`<svg><script>alert(1)</script></svg><math><mi xlink:href="javascript:1">x</mi></math><style>*{}</style>`,
		`<p a='1'>x &amp; y<!-- c --></p><IMG SRC="/images/1"><br/><textarea><img src="/images/2"></textarea>tail<`,
		`<table><tr><td>1</td></tr></table><p>&lt;script&gt; &#60;b&#62; &nbsp;</p><p style="background-color: url(javascript:1)">`,
		"<p>\x00\u2028<b>unclosed<i>nest</b></i><noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		for _, s := range []struct {
			name string
			fn   func(string) string
			data bool
		}{{"article", SanitizeArticleHTML, false}, {"editor", SanitizeForEditor, true}} {
			out := s.fn(in)
			checkSafeHTML(t, out, s.data)
			if again := s.fn(out); again != out {
				t.Fatalf("%s: not idempotent:\nin    %q\nonce  %q\ntwice %q", s.name, in, out, again)
			}
		}
	})
}
