package handlers

import (
	"bytes"
	"net/http"
	"strconv"

	"github.com/a-h/templ"
	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/views"
)

// previewJSON is the answer of POST /drafts/preview-render: the two documents the editor's
// phone preview shows in its sandboxed iframe, and each article's digest as it will be sent.
type previewJSON struct {
	Card    string          `json:"card"`
	Article string          `json:"article"`
	Index   int             `json:"index"` // the article the page shows
	Digests []previewDigest `json:"digests"`
}

type previewDigest struct {
	Text   string `json:"text"`
	Filled bool   `json:"filled"` // left empty: WeChat's own from the content
}

// draftPreviewRender renders the editor's form as followers will see it, saving nothing. The
// form is the editor's own (articles[i].*), "article" the index of the article page to show.
func (a *app) draftPreviewRender(c *gin.Context) error {
	if err := c.Request.ParseForm(); err != nil {
		return badRequest(err)
	}
	forms := parseArticles(c.Request.PostForm)
	if len(forms) == 0 {
		forms = []views.ArticleForm{{}}
	}
	arts, err := a.svc.PreviewArticles(c.Request.Context(), draftInput(forms))
	if err != nil {
		return err
	}
	l := views.Layout{Lang: langOf(c)} // not a.layout: that would take the session's flash
	doc := views.PreviewDoc{Date: a.now().In(models.Beijing).Format("2006-01-02")}
	out := previewJSON{Digests: make([]previewDigest, len(arts))}
	for i, p := range arts {
		doc.Articles = append(doc.Articles, views.PreviewArticle{Title: p.Title, Author: p.Author,
			Digest: p.Digest, DigestFilled: p.DigestFilled, SourceURL: p.SourceURL, ThumbURL: p.ThumbURL, ShowCoverPic: p.ShowCoverPic, Content: p.Content})
		out.Digests[i] = previewDigest{Text: p.Digest, Filled: p.DigestFilled}
	}
	if i, err := strconv.Atoi(c.PostForm("article")); err == nil && i >= 0 && i < len(arts) {
		out.Index = i
	}
	if out.Card, err = renderString(c, views.PreviewCardDoc(l, doc)); err != nil {
		return err
	}
	if out.Article, err = renderString(c, views.PreviewArticleDoc(l, doc, doc.Articles[out.Index])); err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func renderString(c *gin.Context, comp templ.Component) (string, error) {
	var b bytes.Buffer
	err := comp.Render(c.Request.Context(), &b)
	return b.String(), err
}

// editorPreview is what the editor page needs for its preview and counters. The model enforces
// the same table on save, so a failure to read the profile only loosens the page's hints.
func (a *app) editorPreview(c *gin.Context) views.EditorPreviewData {
	limits, err := a.svc.ArticleLimits(c.Request.Context())
	if err != nil {
		a.log.Error("read the API profile", "err", err)
		limits = models.LimitsFor(models.DefaultProfile(false))
	}
	return views.EditorPreviewData{Limits: limits, MaxArticles: limits.MaxArticles, DigestFill: limits.DigestFill}
}
