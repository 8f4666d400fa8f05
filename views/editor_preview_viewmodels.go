package views

// EditorPreviewData is what the editor's preview and limit counters need from the server:
// the limits table (models.ArticleLimits, embedded as JSON as it is) and the profile's article
// count for the message shown at the limit.
type EditorPreviewData struct {
	Limits      any // models.ArticleLimits
	MaxArticles int
	DigestFill  int
}

// previewScript is the JSON editor_preview.js reads: the table and the messages in the page's
// language, the same catalogue entries the server's refusals show.
type previewScript struct {
	Limits   any               `json:"limits"`
	Messages map[string]string `json:"messages"`
}

// Script is the JSON of the page.
func (p EditorPreviewData) Script(l Layout) any {
	m := map[string]string{
		"title":        l.T("err.title_too_long"),
		"author":       l.T("err.author_too_long"),
		"digest":       l.T("err.digest_too_long"),
		"content":      l.T("err.content_too_long"),
		"contentBytes": l.T("err.content_too_large"),
		"sourceURL":    l.T("err.url_invalid"),
		"thumbBytes":   l.T("err.thumb_too_large"),
		"thumbType":    l.T("err.thumb_not_jpeg"),
		"articles":     l.T("limit.articles_max", p.MaxArticles),
		"digestFill":   l.T("limit.digest_fill", p.DigestFill, "%s"),
	}
	return previewScript{Limits: p.Limits, Messages: m}
}

// PreviewArticle is one article of the preview (models.PreviewArticle, mapped by the handler).
type PreviewArticle struct {
	Title, Author, Digest, SourceURL, ThumbURL string
	DigestFilled, ShowCoverPic                 bool
	Content                                    string // sanitised by models.PreviewArticles
}

// PreviewDoc is one preview document.
type PreviewDoc struct {
	Date     string // today, Beijing time
	Articles []PreviewArticle
}

// previewCSP is the documents' own policy, on top of the page's that a srcdoc inherits (which
// limits images to this site and data:): no script, no fetch, no form, no plugin.
const previewCSP = "default-src 'none'; script-src 'none'; img-src http: https: data:; " +
	"style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

// previewCSS is WeChat-like typography for the chat card and the article page.
const previewCSS = `
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font-family:-apple-system,BlinkMacSystemFont,"Helvetica Neue","PingFang SC","Hiragino Sans GB","Microsoft YaHei",sans-serif;color:#191919;word-wrap:break-word}
body.chat{background:#ededed;padding:12px 10px 24px;font-size:15px}
.chat-time{text-align:center;color:#8a8a8a;font-size:12px;margin:4px 0 12px}
.chat-row{display:flex;gap:8px;align-items:flex-start}
.avatar{flex:0 0 36px;height:36px;border-radius:4px;background:#07c160}
.card{flex:1;min-width:0;background:#fff;border-radius:6px;overflow:hidden}
.card.single{padding:12px 14px}
.card-title{font-size:17px;font-weight:500;line-height:1.4;margin:0 0 8px}
.cover-large{display:block;width:100%;aspect-ratio:2.35/1;object-fit:cover;background:#d8d8d8}
.cover-small{display:block;flex:0 0 48px;width:48px;height:48px;object-fit:cover;background:#d8d8d8}
.cover-none{display:flex;align-items:center;justify-content:center;color:#8a8a8a;font-size:12px}
.card-digest{color:#8a8a8a;font-size:14px;line-height:1.5;margin:8px 0 0;display:-webkit-box;-webkit-line-clamp:3;-webkit-box-orient:vertical;overflow:hidden}
.lead{position:relative}
.lead-title{position:absolute;left:0;right:0;bottom:0;margin:0;padding:20px 12px 8px;color:#fff;font-size:16px;font-weight:500;line-height:1.35;background:linear-gradient(transparent,rgba(0,0,0,.6))}
.row{display:flex;gap:10px;align-items:center;padding:10px 12px;border-top:1px solid #eee}
.row-title{flex:1;min-width:0;margin:0;font-size:15px;line-height:1.4}
body.page{background:#fff;padding:20px 16px 32px}
.page-title{font-size:22px;line-height:1.4;font-weight:500;margin:0 0 12px}
.page-meta{font-size:15px;color:rgba(0,0,0,.3);margin:0 0 22px;display:flex;flex-wrap:wrap;gap:0 8px}
.page-meta .account{color:#576b95}
.page-content{font-size:17px;line-height:1.6;letter-spacing:.034em;color:rgba(0,0,0,.9);overflow-wrap:anywhere}
.page-content p{margin:0 0 1em}
.page-content img{max-width:100%!important;height:auto!important}
.page-content table{max-width:100%;border-collapse:collapse}
.page-content td,.page-content th{border:1px solid #ddd;padding:4px}
.page-cover{display:block;width:100%;margin:0 0 16px}
.read-original{margin:28px 0 0;font-size:15px}
.read-original a{color:#576b95;text-decoration:none}
`
