package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"

	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/views"
)

// articleField matches the editor's field names: articles[3].title.
var articleField = regexp.MustCompile(`^articles\[(\d{1,3})\]\.([a-z_]+)$`)

// parseArticles reads articles[i].* fields in index order. Gaps in the
// numbering (an article removed without JS) are closed up.
func parseArticles(form url.Values) []views.ArticleForm {
	byIndex := map[int]*views.ArticleForm{}
	for key, values := range form {
		m := articleField.FindStringSubmatch(key)
		if m == nil || len(values) == 0 {
			continue
		}
		i, _ := strconv.Atoi(m[1])
		a := byIndex[i]
		if a == nil {
			a = &views.ArticleForm{}
			byIndex[i] = a
		}
		v := values[0]
		switch m[2] {
		case "title":
			a.Title = v
		case "author":
			a.Author = v
		case "digest":
			a.Digest = v
		case "content":
			a.Content = v
		case "source_url":
			a.SourceURL = v
		case "show_cover_pic":
			a.ShowCoverPic = v != "" && v != "0"
		case "thumb_id":
			if id, err := strconv.ParseUint(v, 10, 32); err == nil {
				a.ThumbID = uint(id)
			}
		}
	}
	indexes := make([]int, 0, len(byIndex))
	for i := range byIndex {
		indexes = append(indexes, i)
	}
	sort.Ints(indexes)
	out := make([]views.ArticleForm, len(indexes))
	for pos, i := range indexes {
		out[pos] = *byIndex[i]
	}
	return out
}

func draftInput(articles []views.ArticleForm) models.DraftInput {
	in := models.DraftInput{Articles: make([]models.ArticleInput, len(articles))}
	for i, a := range articles {
		in.Articles[i] = models.ArticleInput{
			Title:        a.Title,
			Author:       a.Author,
			Digest:       a.Digest,
			Content:      a.Content,
			SourceURL:    a.SourceURL,
			ShowCoverPic: a.ShowCoverPic,
			ThumbID:      a.ThumbID,
		}
	}
	return in
}

// draftSave creates (POST /drafts) or updates (POST /drafts/:id) a draft.
func (a *app) draftSave(c *gin.Context) error {
	var id uint
	if c.Param("id") != "" {
		var err error
		if id, err = a.idParam(c); err != nil {
			return err
		}
	}
	if err := c.Request.ParseForm(); err != nil {
		return badRequest(err)
	}
	articles := parseArticles(c.Request.PostForm)
	in := draftInput(articles)
	in.Base = formRevision(c.Request.PostForm)
	d, err := a.svc.SaveDraft(c.Request.Context(), id, in, operatorOf(c).ID)
	rev, conflict := conflictOf(err, in.Base)
	if errs, invalid := validationErrors(err); invalid || conflict {
		if len(articles) == 0 {
			articles = []views.ArticleForm{{}}
		}
		// The editor loads this content into the page: never echo it unsanitised.
		for i := range articles {
			articles[i].Content = models.SanitizeForEditor(articles[i].Content)
		}
		status := http.StatusUnprocessableEntity
		if conflict {
			status = http.StatusConflict // the editor again, with the conflict and both ways out
		}
		a.renderEditor(c, status, id, articles, errs, rev)
		return nil
	}
	if err != nil {
		return err
	}
	a.flash(c, "flash.draft_saved")
	a.redirect(c, fmt.Sprintf("/drafts/%d", d.ID))
	return nil
}
