package models

import (
	"context"
	"fmt"
	"strings"
)

// PreviewArticle is one article as followers will see it: the fields trimmed as a save trims
// them, the content sanitised and its images rewritten by the rules a send applies, and the
// digest WeChat shows (the article's own, or the one filled from the content).
type PreviewArticle struct {
	Title, Author, Digest, SourceURL string
	DigestFilled                     bool   // Digest was empty and is the content's first characters
	Content                          string // safe HTML: what is stored, with the images WeChat keeps
	ThumbURL                         string // "" without a cover
	ShowCoverPic                     bool
}

// PreviewArticles renders what the editor holds now, saved or not, without storing anything.
// Content goes through the sanitiser a save uses (the editor's policy, which also keeps pasted
// data: images: a save would store those as /images/N, the same picture), then the image rule
// of contentForWeChat (sendableImage): our own and WeChat's images stay, others are dropped.
// Our own images keep their local src so the page can show them; the send replaces it with the
// image's uploadimg URL.
func (s *Service) PreviewArticles(ctx context.Context, in DraftInput) ([]PreviewArticle, error) {
	limits, err := s.ArticleLimits(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]PreviewArticle, 0, len(in.Articles))
	for _, a := range in.Articles {
		content, err := rewriteImages(SanitizeForEditor(a.Content), func(src string) (string, bool, error) {
			if _, ok := decodeDataURL(src); ok {
				return src, true, nil
			}
			return src, sendableImage(src) != imageDropped, nil
		})
		if err != nil {
			return nil, fmt.Errorf("preview: %w", err)
		}
		p := PreviewArticle{
			Title:        strings.TrimSpace(a.Title),
			Author:       strings.TrimSpace(a.Author),
			Digest:       strings.TrimSpace(a.Digest),
			SourceURL:    strings.TrimSpace(a.SourceURL),
			Content:      content,
			ShowCoverPic: a.ShowCoverPic,
		}
		if p.SourceURL != "" && !validHTTPURL(p.SourceURL) {
			p.SourceURL = "" // refused on save; the page shows no link
		}
		if p.Digest == "" {
			p.Digest, p.DigestFilled = AutoDigest(content, limits.DigestFill), true
		}
		if a.ThumbID != 0 {
			p.ThumbURL = fmt.Sprintf("/thumbs/%d", a.ThumbID)
		}
		out = append(out, p)
	}
	return out, nil
}
