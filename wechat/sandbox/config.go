package sandbox

import (
	"context"
	"log/slog"
	"qunfa/wechat/protocol"
	"time"
)

// Config sets up a simulated Official Account. Zero values take the seed's (2014) defaults.
type Config struct {
	AppID, AppSecret, Token string
	EncodingAESKey          string // "" → plaintext callbacks; else secure (AES) mode
	CallbackURL             string // where MASSSENDJOBFINISH is POSTed ("" = don't push)
	// PushJSON pushes in the console's JSON data format instead of XML: the event as JSON with
	// numbers as strings, {"ToUserName","Encrypt"} in secure mode, Content-Type application/json.
	PushJSON bool

	DailyQuota  int // default 10: every advanced call (media/upload, uploadnews, draft/add, sendall, send, delete) counts
	MonthlyCap  int // default 4 mass messages per follower per Beijing calendar month
	MaxArticles int // default 10 (seed); 8 = today's API
	Followers   int // demo population size at start, default 3000; deterministic (same n, same OpenIDs)
	// Growth is how many new followers subscribe per minute of Config.Now (0 = none). Each
	// joins the end of user/get and pushes a subscribe event, like Subscribe.
	Growth      int
	FinishDelay time.Duration // default 3 s between submission and MASSSENDJOBFINISH; tests use ~50 ms
	TokenTTL    time.Duration // default 7200 s

	// PushRetryGap is the pause between callback delivery attempts (default 5 s, as WeChat).
	// WeChat retries three more times when the receiver does not answer "success".
	PushRetryGap time.Duration
	// PushTimeout is how long one delivery attempt waits for the receiver (default 5 s).
	PushTimeout time.Duration

	// Sleep waits d unless ctx ends first (default: a timer). Injected latency and the pauses
	// between callback attempts go through it, so tests can record them instead of waiting.
	Sleep func(ctx context.Context, d time.Duration) error

	Now    func() time.Time // default time.Now; drives token/media expiry, quota day and cap month
	Logger *slog.Logger     // default slog.Default()
}

// Defaults of the seed's rules.
const (
	DefaultDailyQuota   = 10
	DefaultMonthlyCap   = 4
	DefaultMaxArticles  = 10
	DefaultFollowers    = 3000
	DefaultFinishDelay  = 3 * time.Second
	DefaultTokenTTL     = 7200 * time.Second
	DefaultPushRetryGap = 5 * time.Second
	DefaultPushTimeout  = 5 * time.Second
)

// Fixed protocol limits.
const (
	tokenOverlap      = 5 * time.Minute   // old and new token both valid after a refresh (§1.1)
	mediaTTL          = 72 * time.Hour    // temporary media live 3 days (§2.3)
	clientMsgWindow   = 24 * time.Hour    // clientmsgid de-duplication window (§3.1)
	thumbMaxBytes     = 64 << 10          // thumb: JPG ≤ 64 KB
	imageMaxBytes     = 2 << 20           // image: JPG/PNG ≤ 2 MB
	uploadMaxBytes    = 10 << 20          // largest media WeChat takes at all (video); beyond → 45001
	jsonMaxBytes      = 4 << 20           // JSON request bodies
	userPageSize      = 10000             // user/get page (§6.3)
	touserMin         = 2                 // mass/send list size (§3.2)
	touserMax         = 10000             //
	clientMsgIDMax    = 64                // bytes (§3.1)
	titleMaxChars     = 64                // uploadnews title
	digestMaxChars    = 120               // uploadnews digest
	contentMaxChars   = 20000             // uploadnews content: fewer characters than this (§2.1)
	contentMaxBytes   = 1 << 20           // and fewer bytes (§2.1)
	authorMaxChars    = 8                 // uploadnews/draft author (the official backend's 8; 45110)
	textMaxChars      = 2048              // text mass message
	uploadImgMaxBytes = 1 << 20           // uploadimg: JPG/PNG under 1 MB (§2.2)
	draftMaxArticles  = 8                 // draft/add (today's API)
	tagPageSize       = 10000             // user/tag/get page (UNCONFIRMED, §6.2)
	blacklistPageSize = 1000              // tags/members/getblacklist page (UNCONFIRMED: 10 000 or 1 000, §14)
	batchGetMax       = 100               // user/info/batchget (§6.3)
	previewDailyWX    = 100               // preview by towxname per day (§3.3)
	stableForceDaily  = 20                // stable_token force_refresh per day (§1.2)
	stableForceGap    = 30 * time.Second  // and at least this far apart
	pushRetries       = 3                 // retries after the first attempt (§4.7)
	firstMsgID        = int64(3147494522) // real msg_ids are above 2^31 (§0)
	firstMsgDataID    = int64(2455891298)
)

// withDefaults fills the zero values.
func (c Config) withDefaults() Config {
	if c.DailyQuota <= 0 {
		c.DailyQuota = DefaultDailyQuota
	}
	if c.MonthlyCap <= 0 {
		c.MonthlyCap = DefaultMonthlyCap
	}
	if c.MaxArticles <= 0 {
		c.MaxArticles = DefaultMaxArticles
	}
	if c.Followers <= 0 {
		c.Followers = DefaultFollowers
	}
	if c.FinishDelay <= 0 {
		c.FinishDelay = DefaultFinishDelay
	}
	if c.TokenTTL <= 0 {
		c.TokenTTL = DefaultTokenTTL
	}
	if c.PushRetryGap <= 0 {
		c.PushRetryGap = DefaultPushRetryGap
	}
	if c.PushTimeout <= 0 {
		c.PushTimeout = DefaultPushTimeout
	}
	if c.Sleep == nil {
		c.Sleep = sleep
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// beijing is WeChat's clock for "a day" and "a month", whatever the server's zone.
var beijing = protocol.Beijing

func dayKey(t time.Time) string   { return t.In(beijing).Format("2006-01-02") }
func monthKey(t time.Time) string { return t.In(beijing).Format("2006-01") }
