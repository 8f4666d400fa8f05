package models

import (
	"context"
	"time"
)

// newsSource is how the API profile obtains an mpnews media id: the two ways WeChat has offered,
// chosen once from the profile's UploadPath (sourceFor) and used alike by the plan, the worker
// and previews. Everything else about uploads (which covers, the content hash, quota, the one
// 40007 recovery) is common and lives in uploadContent and recover40007.
type newsSource interface {
	path() string // UploadNews or UploadDraft, as recorded on sends and news uploads
	// Plan lines: the cover upload, whether it uses the daily quota, and the news call.
	coverEndpoint() string
	coverCounted() bool
	newsEndpoint() string
	// newsCalls is how many news calls a send of batches batches makes; fresh: a usable news
	// media id of this content exists now.
	newsCalls(batches int, fresh bool) int
	// cover returns the cover's media id as the news call names it, if it has a usable one.
	cover(t thumbRow, now time.Time) (string, bool)
	// uploadCover uploads the cover and commits its media id.
	uploadCover(ctx context.Context, t thumbRow) (string, error)
	uploadNews(ctx context.Context, news []NewsArticle) (string, error)
	// freshNews is a usable media id of a news upload of this content.
	freshNews(ctx context.Context, hash string) (string, bool, error)
	// stillFresh reports whether the send's news media id can still be named.
	stillFresh(ctx context.Context, mediaID string) (bool, error)
	// consumedOnSend: a mass send takes the media id (it cannot serve a second batch).
	consumedOnSend() bool
	// forget drops what a 40007 says WeChat no longer knows: the news media ids and, as the
	// source decides, the covers' ids. upload: the 40007 answered the news call itself.
	forget(ctx context.Context, mediaIDs []string, thumbs []uint, upload bool) error
}

// sourceFor is the news source of an UploadPath (a profile's, or the one a send was planned under).
func (s *Service) sourceFor(uploadPath string) newsSource {
	if uploadPath == UploadDraft {
		return draftSource{s}
	}
	return seedSource{s}
}

// seedSource is the 2014 seed's way: covers as temporary media (media/upload, counted, 3 days),
// the news by media/uploadnews (3 days; reusable by any number of sends in that time). Reused on
// purpose: every upload counts against the daily quota of 10 advanced calls, so an unchanged
// draft sent again is not uploaded again — at the price that such sends share one article page,
// which a delete of one removes for all (SendsSharingArticle, protocol §3.4).
type seedSource struct{ s *Service }

func (seedSource) path() string          { return UploadNews }
func (seedSource) coverEndpoint() string { return EndpointUploadThumb }
func (seedSource) coverCounted() bool    { return true }
func (seedSource) newsEndpoint() string  { return EndpointUploadNews }
func (seedSource) consumedOnSend() bool  { return false }
func (src seedSource) since() time.Time  { return src.s.now().Add(-mediaLifetime) }
func (seedSource) newsCalls(_ int, fresh bool) int {
	if fresh {
		return 0
	}
	return 1
}

func (seedSource) cover(t thumbRow, now time.Time) (string, bool) {
	return t.MediaID, t.MediaID != "" && mediaFresh(t.MediaUploadedAt, now)
}

func (src seedSource) uploadCover(ctx context.Context, t thumbRow) (string, error) {
	id, err := src.s.wx.UploadThumb(ctx, t.Filename, t.Data)
	if err != nil {
		return "", err
	}
	return id, src.s.pipe.SaveCoverMedia(ctx, t.ID, id, src.s.now())
}

func (src seedSource) uploadNews(ctx context.Context, news []NewsArticle) (string, error) {
	return src.s.wx.UploadNews(ctx, news)
}

func (src seedSource) freshNews(ctx context.Context, hash string) (string, bool, error) {
	return src.s.pipe.LatestNews(ctx, hash, UploadNews, src.since(), false)
}

func (src seedSource) stillFresh(ctx context.Context, mediaID string) (bool, error) {
	return src.s.pipe.HasNews(ctx, mediaID, UploadNews, src.since())
}

// On the seed's path a cover's temporary media id always goes: it may have expired early too.
func (src seedSource) forget(ctx context.Context, mediaIDs []string, thumbs []uint, _ bool) error {
	if err := src.s.pipe.ForgetNews(ctx, mediaIDs...); err != nil {
		return err
	}
	return src.s.pipe.ForgetCovers(ctx, thumbs, false)
}

// draftSource is today's way: covers as permanent materials (material/add_material, once, not
// counted: the only cover draft/add takes), the news by draft/add — a draft-box item that does
// not expire but that a mass send takes out of the draft box, so each batch needs its own.
type draftSource struct{ s *Service }

func (draftSource) path() string          { return UploadDraft }
func (draftSource) coverEndpoint() string { return EndpointAddMaterial }
func (draftSource) coverCounted() bool    { return false }
func (draftSource) newsEndpoint() string  { return EndpointAddDraft }
func (draftSource) consumedOnSend() bool  { return true }

// One draft made before (by a preview, say) and not yet sent serves the first batch.
func (draftSource) newsCalls(batches int, fresh bool) int {
	if fresh {
		return batches - 1
	}
	return batches
}

func (draftSource) cover(t thumbRow, _ time.Time) (string, bool) {
	return t.MaterialID, t.MaterialID != ""
}

func (src draftSource) uploadCover(ctx context.Context, t thumbRow) (string, error) {
	id, err := src.s.wx.AddThumbMaterial(ctx, t.Filename, t.Data)
	if err != nil {
		return "", err
	}
	if err := src.s.pipe.SaveCoverMaterial(ctx, t.ID, id); err != nil {
		return "", err
	}
	src.s.log.Info("cover uploaded as a permanent material", "thumb_id", t.ID)
	return id, nil
}

func (src draftSource) uploadNews(ctx context.Context, news []NewsArticle) (string, error) {
	return src.s.wx.AddDraft(ctx, news)
}

// A draft a batch is being called with (state "submitting") is that batch's alone.
func (src draftSource) freshNews(ctx context.Context, hash string) (string, bool, error) {
	return src.s.pipe.LatestNews(ctx, hash, UploadDraft, time.Time{}, true)
}

// A draft's row is deleted when a mass send takes it.
func (src draftSource) stillFresh(ctx context.Context, mediaID string) (bool, error) {
	return src.s.pipe.HasNews(ctx, mediaID, UploadDraft, time.Time{})
}

// A cover's permanent material id goes only when the 40007 answered the upload itself (draft/add
// names nothing but the covers, so one was deleted in the WeChat backend, say). A 40007 from a
// mass send or a preview names the draft alone — most often one a mass send already took — and
// the materials, which do not expire, stay: uploading them again would cost no quota but fill the
// material library with copies.
func (src draftSource) forget(ctx context.Context, mediaIDs []string, thumbs []uint, upload bool) error {
	if err := src.s.pipe.ForgetNews(ctx, mediaIDs...); err != nil {
		return err
	}
	if !upload {
		return nil
	}
	return src.s.pipe.ForgetCovers(ctx, thumbs, true)
}
