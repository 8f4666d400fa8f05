package models

import (
	"context"
	"errors"
	"net"
	"time"

	"qunfa/wechat/protocol"
)

// WeChat is what models needs from the WeChat API. main adapts *wechat.Client to it;
// tests hand in a fake or a client pointed at the sandbox.
type WeChat interface {
	UploadThumb(ctx context.Context, filename string, data []byte) (mediaID string, err error)
	// AddThumbMaterial is material/add_material?type=thumb: a permanent material, the only
	// cover draft/add takes. Its media id does not expire. Not a mass-send call: it uses no
	// daily quota.
	AddThumbMaterial(ctx context.Context, filename string, data []byte) (mediaID string, err error)
	UploadNews(ctx context.Context, articles []NewsArticle) (mediaID string, err error)
	// AddDraft is draft/add, today's source of an mpnews media_id (a draft-box item, which
	// does not expire but leaves the draft box once a mass send takes it). Covers must be
	// permanent materials. An advanced call like uploadnews.
	AddDraft(ctx context.Context, articles []NewsArticle) (mediaID string, err error)
	// UploadImage is media/uploadimg: an image for use inside article content (JPEG/PNG under 1 MB).
	// The URL it returns does not expire. Not an advanced call: it uses no daily quota.
	UploadImage(ctx context.Context, filename string, data []byte) (url string, err error)
	SendAll(ctx context.Context, f MassFilter, mediaID, clientMsgID string) (MassResult, error)
	SendToOpenIDs(ctx context.Context, openIDs []string, mediaID, clientMsgID string) (MassResult, error)
	DeleteMass(ctx context.Context, msgID int64) error
	// Preview is message/mass/preview of an mpnews media_id to one person: toWXName (a WeChat ID,
	// 微信号; WeChat uses it when both are set) or toOpenID (a follower). Not an advanced call:
	// it uses no daily quota (the uploads before it do). msgID is 0 when WeChat answers none.
	Preview(ctx context.Context, toWXName, toOpenID, mediaID string) (msgID int64, err error)
	MassStatus(ctx context.Context, msgID int64) (string, error) // SEND_SUCCESS, SENDING, SEND_FAIL, DELETE
	Groups(ctx context.Context) ([]Group, error)                 // 2014 groups (groups/get)
	Tags(ctx context.Context) ([]Group, error)                   // today's tags (tags/get)
	// Quota is openapi/quota/get for one endpoint (an Endpoint… name): WeChat's own count of
	// that interface today. ErrQuotaUnanswered when the account does not report it (76021/76022).
	Quota(ctx context.Context, endpoint string) (QuotaInfo, error)
	// Followers is user/get: one page (≤ 10,000) of the account's followers after next ("" = from
	// the start). Page.Next is "" when the list is exhausted. Not an advanced call.
	Followers(ctx context.Context, next string) (FollowerPage, error)
	// FollowerDetails is user/info/batchget for at most 100 OpenIDs. Not an advanced call.
	FollowerDetails(ctx context.Context, openIDs []string) ([]FollowerInfo, error)
	// Blacklist is tags/members/getblacklist: one page of the followers the account blocked
	// (protocol §14), after begin ("" = from the start). Not an advanced call.
	Blacklist(ctx context.Context, begin string) (FollowerPage, error)
}

// FollowerPage is one page of OpenIDs from user/get or getblacklist.
type FollowerPage struct {
	Total   int      // WeChat's count of the whole list
	OpenIDs []string // this page
	Next    string   // where the next page starts; "" when the list is exhausted
}

// FollowerInfo is one follower as user/info/batchget describes them (since 2021-12-27 without
// nickname, avatar, sex or place). Subscribed false: the person no longer follows the account.
type FollowerInfo struct {
	OpenID        string
	Subscribed    bool
	SubscribeTime time.Time // when they (last) followed
	Language      string
	GroupID       int64   // 2014 group (groupid)
	TagIDs        []int64 // today's tags (tagid_list)
	Remark        string
	Scene         string // subscribe_scene, e.g. ADD_SCENE_QR_CODE
}

// MassFilter is sendall's audience: everyone, or one group (2014: filter.group_id) or tag
// (today: filter.tag_id).
type MassFilter struct {
	ToAll bool
	ID    int64
	ByTag bool
}

// NewsArticle is one article of an uploadnews call.
type NewsArticle struct {
	ThumbMediaID, Author, Title, SourceURL, Content, Digest string
	ShowCoverPic                                            bool
}

// MassResult is the answer of sendall / send.
type MassResult struct{ MsgID, MsgDataID int64 }

// Group is a follower group (tag on today's API).
type Group struct {
	ID    int64
	Name  string
	Count int
}

// APIError is how models recognises an errcode from WeChat (wechat.*Error satisfies it).
type APIError interface {
	error
	Errcode() int
	ExistingMsgID() int64
}

// asAPIError unwraps err into an APIError, if it is one.
func asAPIError(err error) (APIError, bool) {
	var ae APIError
	if errors.As(err, &ae) {
		return ae, true
	}
	return nil, false
}

// isStaleMedia reports whether WeChat refused a media id it no longer knows:
// expired early, or issued by a WeChat (or sandbox) that has since forgotten it.
func isStaleMedia(err error) bool {
	ae, ok := asAPIError(err)
	return ok && ae.Errcode() == protocol.CodeInvalidMediaID
}

// isTransient reports whether a failed call may succeed when repeated (with the same clientmsgid).
// Anything that is not an errcode (timeouts, connection resets) is transient: the request may or may
// not have reached WeChat, which is exactly why batches carry a clientmsgid.
func isTransient(err error) bool {
	ae, ok := asAPIError(err)
	if !ok {
		return true
	}
	return protocol.Transient(ae.Errcode())
}

// notConnected reports whether a call failed before any connection to WeChat was made: a refused
// connection, no route, a DNS failure, a dial timeout. WeChat then received nothing, so the call
// may be made again at any time without risk of a second send.
func notConnected(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}
