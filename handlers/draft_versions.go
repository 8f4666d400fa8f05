package handlers

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/views"
)

// draftVersions lists the kept saves of a draft (GET /drafts/:id/versions).
func (a *app) draftVersions(c *gin.Context) error {
	id, err := a.idParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	list, err := a.svc.DraftVersions(ctx, id)
	if err != nil {
		return err
	}
	rev, err := a.draftRevision(c, id)
	if err != nil {
		return err
	}
	rows := make([]views.DraftVersionRow, len(list))
	for i, v := range list {
		rows[i] = versionRow(v, rev)
	}
	l := a.layout(c, "versions.title")
	l.Nav = "drafts"
	a.render(c, http.StatusOK, views.DraftVersions(views.DraftVersionsPage{Layout: l, DraftID: id,
		Keep: models.MaxDraftVersions, Versions: rows}))
	return nil
}

// draftVersionShow shows one version, read-only (GET /drafts/:id/versions/:v).
func (a *app) draftVersionShow(c *gin.Context) error {
	id, v, err := a.versionParams(c)
	if err != nil {
		return err
	}
	ver, err := a.svc.DraftVersionByID(c.Request.Context(), id, v)
	if err != nil {
		return err
	}
	rev, err := a.draftRevision(c, id)
	if err != nil {
		return err
	}
	arts := make([]views.VersionArticle, len(ver.Articles))
	for i, art := range ver.Articles {
		// Stored sanitised; sanitised again because this page shows it as HTML.
		arts[i] = views.VersionArticle{Title: art.Title, Author: art.Author, Digest: art.Digest,
			SourceURL: art.SourceURL, Content: models.SanitizeArticleHTML(art.Content), ThumbID: art.ThumbID}
	}
	l := a.layout(c, "versions.title")
	l.Nav = "drafts"
	a.render(c, http.StatusOK, views.DraftVersion(views.DraftVersionPage{Layout: l, DraftID: id,
		Version: versionRow(ver, rev), Articles: arts}))
	return nil
}

// draftVersionRestore makes a version the draft's content (POST /drafts/:id/versions/:v/restore).
func (a *app) draftVersionRestore(c *gin.Context) error {
	id, v, err := a.versionParams(c)
	if err != nil {
		return err
	}
	ver, err := a.svc.DraftVersionByID(c.Request.Context(), id, v)
	if err != nil {
		return err
	}
	d, err := a.svc.RestoreDraftVersion(c.Request.Context(), id, v, operatorOf(c).ID)
	if err != nil {
		return err // a version that no longer passes today's rules: 422 with the reasons
	}
	a.audit(c, models.AuditDraftRestore, auditTarget("draft", id), fmt.Sprintf("revision %d → %d", ver.Revision, d.Revision))
	a.flash(c, "flash.draft_restored", strconv.FormatInt(ver.Revision, 10))
	a.redirect(c, fmt.Sprintf("/drafts/%d", id))
	return nil
}

func (a *app) versionParams(c *gin.Context) (uint, uint, error) {
	id, err := a.idParam(c)
	if err != nil {
		return 0, 0, err
	}
	v, err := strconv.ParseUint(c.Param("v"), 10, 32)
	if err != nil || v == 0 {
		return 0, 0, fmt.Errorf("version %q: %w", c.Param("v"), models.ErrNotFound)
	}
	return id, uint(v), nil
}

func (a *app) draftRevision(c *gin.Context, id uint) (int64, error) {
	d, err := a.svc.Draft(c.Request.Context(), id)
	return d.Revision, err
}

func versionRow(v models.DraftVersion, current int64) views.DraftVersionRow {
	return views.DraftVersionRow{ID: v.ID, Revision: v.Revision, By: v.Username, Kind: v.Kind, Source: v.Source,
		Title: v.Title, Size: v.Size, At: v.UpdatedAt, Current: v.Revision == current}
}
