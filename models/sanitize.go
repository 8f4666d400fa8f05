package models

import (
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
)

// Inline style properties kept in article HTML. WeChat drops classes and external CSS, so inline
// styles are how an article looks; anything outside this list (position, behaviour, url() images)
// is removed. bluemonday validates the values of the properties it knows.
var allowedStyleProperties = []string{
	"color", "background-color", "font-size", "font-weight", "font-style", "font-family",
	"text-align", "text-decoration", "text-indent", "line-height", "letter-spacing",
	"margin", "margin-top", "margin-right", "margin-bottom", "margin-left",
	"padding", "padding-top", "padding-right", "padding-bottom", "padding-left",
	"border", "border-top", "border-right", "border-bottom", "border-left",
	"border-color", "border-style", "border-width", "border-radius",
	"width", "max-width", "height", "vertical-align", "white-space", "word-break",
}

var (
	policiesOnce  sync.Once
	articlePolicy *bluemonday.Policy // what is stored, shown and sent
	editorPolicy  *bluemonday.Policy // content of a refused save, back into the editor
)

// newArticlePolicy is bluemonday's UGC policy (which already refuses <script>, on* handlers,
// javascript: URLs and class attributes) plus the inline styles above, with URLs limited to http(s)
// (and mailto for links) and no relative URLs: WeChat cannot resolve them.
func newArticlePolicy() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowStyles(allowedStyleProperties...).Globally()
	p.AllowElements("section", "span", "p", "strong", "em", "b", "i", "u", "s", "br", "hr",
		"h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "sub", "sup")
	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("src", "alt", "width", "height").OnElements("img")
	p.AllowRelativeURLs(false)
	// "http:0" has a scheme but no host: a browser resolves it against the page, so it is a
	// relative URL in disguise (found by FuzzSanitizeArticleHTML).
	for _, scheme := range []string{"http", "https"} {
		p.AllowURLSchemeWithCustomPolicy(scheme, func(u *url.URL) bool { return u.Host != "" })
	}
	p.RequireNoFollowOnLinks(false)
	return p
}

func policies() (article, editor *bluemonday.Policy) {
	policiesOnce.Do(func() {
		articlePolicy = newArticlePolicy()
		editorPolicy = newArticlePolicy()
		editorPolicy.AllowDataURIImages() // pasted images are stored only when a save succeeds
	})
	return articlePolicy, editorPolicy
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

// SanitizeArticleHTML returns content safe to store, show and send. Relative URLs are refused
// (WeChat cannot resolve them) except the src of our own images, <img src="/images/N">, which the
// send pipeline replaces with the image's uploadimg URL.
func SanitizeArticleHTML(content string) string {
	article, _ := policies()
	return sanitizeWith(article, content)
}

// SanitizeForEditor makes content that was not saved (a refused save) safe to load back into the
// editor: the article rules, plus pasted data: images, which are stored only when a save succeeds.
func SanitizeForEditor(content string) string {
	_, editor := policies()
	return sanitizeWith(editor, content)
}

func sanitizeWith(p *bluemonday.Policy, content string) string {
	content = mapOwnImages(content, func(src string) (string, bool) {
		id, ok := localImageID(src)
		return ownImageSentinel + ImagePath(id), ok
	})
	clean := strings.TrimSpace(p.Sanitize(content))
	return mapOwnImages(clean, func(src string) (string, bool) {
		p, ok := strings.CutPrefix(src, ownImageSentinel)
		if _, own := localImageID(p); ok && own {
			return p, true
		}
		return src, false
	})
}

// ownImageSentinel carries /images/N through bluemonday (which takes no relative URLs) as an
// absolute URL on a reserved name (RFC 2606), turned back into /images/N after sanitising.
const ownImageSentinel = "https://qunfa.invalid"

// mapOwnImages replaces the src of <img> tags for which to returns ok.
func mapOwnImages(fragment string, to func(src string) (string, bool)) string {
	out, err := rewriteImages(fragment, func(src string) (string, bool, error) {
		if s, ok := to(src); ok {
			return s, true, nil
		}
		return src, true, nil
	})
	if err != nil {
		return fragment // not reachable with a strings.Reader; the sanitiser still runs
	}
	return out
}

// htmlIsEmpty reports whether sanitised HTML has neither text nor an image.
func htmlIsEmpty(html string) bool {
	if strings.Contains(strings.ToLower(html), "<img") {
		return false
	}
	text := tagRE.ReplaceAllString(html, "")
	text = strings.ReplaceAll(text, "&nbsp;", "")
	text = strings.ReplaceAll(text, "&#160;", "")
	return strings.TrimSpace(text) == ""
}
