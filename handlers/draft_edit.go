package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/views"
)

func (a *app) draftNew(c *gin.Context) error {
	a.renderEditor(c, http.StatusOK, 0, []views.ArticleForm{{}}, nil)
	return nil
}

func (a *app) draftEdit(c *gin.Context) error {
	d, err := a.loadDraft(c)
	if err != nil {
		return err
	}
	articles := make([]views.ArticleForm, len(d.Articles))
	for i, art := range d.Articles {
		articles[i] = articleForm(art)
	}
	if len(articles) == 0 {
		articles = []views.ArticleForm{{}}
	}
	a.renderEditor(c, http.StatusOK, d.ID, articles, nil, views.EditorRevision{Revision: d.Revision})
	return nil
}

func articleForm(art models.Article) views.ArticleForm {
	f := views.ArticleForm{
		Title:        art.Title,
		Author:       art.Author,
		Digest:       art.Digest,
		Content:      art.Content,
		SourceURL:    art.SourceURL,
		ShowCoverPic: art.ShowCoverPic,
	}
	if art.ThumbID != nil {
		f.ThumbID = *art.ThumbID
	}
	return f
}

// rev is the revision the form is based on and any conflict (none for a new draft).
func (a *app) renderEditor(c *gin.Context, status int, id uint, articles []views.ArticleForm, errs views.FieldErrors, rev ...views.EditorRevision) {
	title := "editor.title_new"
	if id != 0 {
		title = "editor.title_edit"
	}
	l := a.layout(c, title)
	l.Nav = "drafts"
	a.render(c, status, views.DraftEdit(views.DraftEditPage{
		Layout:      l,
		ID:          id,
		Articles:    articles,
		Errors:      errs,
		MaxArticles: a.maxArticles(c),
		Rev:         append(rev, views.EditorRevision{})[0],
		Preview:     a.editorPreview(c),
	}))
}

// maxArticles is the API profile's article limit; the model enforces it on
// save, so a failure to read it only loosens the editor's hint.
func (a *app) maxArticles(c *gin.Context) int {
	n, err := a.svc.MaxArticles(c.Request.Context())
	if err != nil {
		a.log.Error("read the API profile", "err", err)
		return 10
	}
	return n
}
