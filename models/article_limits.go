package models

import (
	"context"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// ArticleLimits is the one definition of what an article may hold. validateDraft enforces it,
// the editor receives it as JSON (the counters and messages as one types), and the catalogue's
// messages name its numbers. Lengths are counted in characters as WeChat's backend counts them:
// Unicode code points (runes), so 汉 and a are one each; the editor's JS counts code points too
// (Array.from), not UTF-16 units. The API profile decides MaxArticles and DigestFill.
type ArticleLimits struct {
	TitleMax          int      `json:"title"`        // ≤ characters: 45003 beyond
	AuthorMax         int      `json:"author"`       // ≤ characters: 45110 beyond
	DigestMax         int      `json:"digest"`       // ≤ characters: 45004 beyond
	ContentBelow      int      `json:"content"`      // < characters of the HTML: 45002 otherwise (§2.1)
	ContentBytesBelow int      `json:"contentBytes"` // < bytes of the HTML: 45002 otherwise (§2.1)
	SourceURLMax      int      `json:"sourceURL"`    // ≤ bytes of the "read original" URL
	ThumbMaxBytes     int      `json:"thumbBytes"`   // cover: ≤ bytes
	ThumbTypes        []string `json:"thumbTypes"`   // cover: MIME types
	MaxArticles       int      `json:"articles"`     // articles in one message (the profile's)
	DigestFill        int      `json:"digestFill"`   // characters of text an empty digest takes
}

// Fixed limits. The cover rule is the temporary thumb's (§2.3: JPG, 64 KB), the strictest of the
// two paths: draft/add takes a permanent material, whose image rule (10 MB, PNG/JPEG/GIF) a
// 64 KB JPEG also meets, so one rule serves both profiles.
const (
	LimitTitle        = 64
	LimitAuthor       = 8
	LimitDigest       = 120
	LimitContent      = 20000
	LimitContentBytes = 1 << 20
	LimitSourceURL    = maxSourceURL
	LimitThumbBytes   = maxThumbBytes
)

// Characters of the content's text that WeChat puts in an empty digest: uploadnews takes the
// first 64 (protocol §2.1), draft/add the first 54 (its official doc: "默认抓取正文前54个字").
const (
	digestFillUploadNews = 64
	digestFillDraft      = 54
)

// LimitsFor is the table under an API profile.
func LimitsFor(p Settings) ArticleLimits {
	fill := digestFillUploadNews
	if p.UploadPath == UploadDraft {
		fill = digestFillDraft
	}
	return ArticleLimits{
		TitleMax: LimitTitle, AuthorMax: LimitAuthor, DigestMax: LimitDigest,
		ContentBelow: LimitContent, ContentBytesBelow: LimitContentBytes, SourceURLMax: LimitSourceURL,
		ThumbMaxBytes: LimitThumbBytes, ThumbTypes: []string{"image/jpeg"},
		MaxArticles: p.MaxArticles, DigestFill: fill,
	}
}

// ArticleLimits is the table under the API profile in force.
func (s *Service) ArticleLimits(ctx context.Context) (ArticleLimits, error) {
	p, err := s.profile(ctx)
	if err != nil {
		return ArticleLimits{}, err
	}
	return LimitsFor(p), nil
}

// CountChars counts as the limits do: code points.
func CountChars(s string) int { return utf8.RuneCountInString(s) }

// checkText puts the catalogue key of every length or URL problem of one article (trimmed,
// content sanitised: what is stored and sent) into fe under key(field).
func (l ArticleLimits) checkText(r articleRow, fe FieldErrors, key func(string) string) {
	switch n := CountChars(r.Title); {
	case n == 0:
		fe[key("title")] = "err.title_required"
	case n > l.TitleMax:
		fe[key("title")] = "err.title_too_long"
	}
	if CountChars(r.Author) > l.AuthorMax {
		fe[key("author")] = "err.author_too_long"
	}
	if CountChars(r.Digest) > l.DigestMax {
		fe[key("digest")] = "err.digest_too_long"
	}
	switch {
	case htmlIsEmpty(r.Content):
		fe[key("content")] = "err.content_required"
	case len(r.Content) >= l.ContentBytesBelow:
		fe[key("content")] = "err.content_too_large"
	case CountChars(r.Content) >= l.ContentBelow:
		fe[key("content")] = "err.content_too_long"
	}
	if r.SourceURL != "" && !validHTTPURL(r.SourceURL) {
		fe[key("source_url")] = "err.url_invalid"
	}
}

// AutoDigest is what WeChat shows as the digest of an article sent without one: the first n
// characters of the content's text (tags dropped, entities decoded, white space collapsed).
func AutoDigest(content string, n int) string {
	if n <= 0 || content == "" {
		return ""
	}
	z := html.NewTokenizer(strings.NewReader(content))
	var b strings.Builder
	count := 0
	space := false
	for count < n {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		if tt == html.StartTagToken || tt == html.EndTagToken || tt == html.SelfClosingTagToken {
			if name, _ := z.TagName(); isBlockTag(string(name)) {
				space = b.Len() > 0 // a new paragraph separates words
			}
			continue
		}
		if tt != html.TextToken {
			continue
		}
		for _, r := range string(z.Text()) {
			if isSpace(r) {
				space = b.Len() > 0
				continue
			}
			if count >= n {
				break
			}
			if space {
				if count+1 >= n {
					count = n
					break
				}
				b.WriteByte(' ')
				count++
				space = false
			}
			b.WriteRune(r)
			count++
		}
	}
	return b.String()
}

func isSpace(r rune) bool {
	return r == ' ' || r == '\n' || r == '\t' || r == '\r' || r == '\u00a0' || r == '\u3000' || r == '\f'
}

func isBlockTag(name string) bool {
	switch name {
	case "p", "br", "div", "section", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "td", "th", "hr":
		return true
	}
	return false
}

// fillDigests gives every article without a digest WeChat's own (AutoDigest), so what the
// preview showed is what is sent, whatever WeChat's default does with the HTML.
func fillDigests(news []NewsArticle, n int) {
	for i := range news {
		if strings.TrimSpace(news[i].Digest) == "" {
			news[i].Digest = AutoDigest(news[i].Content, n)
		}
	}
}

// digestFillOf is the profile's digest length by its upload path.
func digestFillOf(uploadPath string) int {
	return LimitsFor(Settings{UploadPath: uploadPath}).DigestFill
}
