// Package wechat speaks the WeChat Official Account protocol Qunfa needs: the API client
// (Client: access_token, media, permanent materials and drafts, mass
// send/preview/get/delete/speed, groups, tags and followers), the errcode table (Explain), and
// the callback codec (Codec, Signature, ParseEvent).
// It stores nothing itself; callers persist what they need (the token through TokenStore).
//
// access_token: one fetch at a time (concurrent callers wait for it), cached until 300 s before
// WeChat's expiry, taken from the TokenStore before fetching so a restart or a second process
// does not invalidate the token in use, and refetched and the call retried once on 40001,
// 40014 or 42001 only if the cached token is still the one that failed. Config.StableToken
// uses cgi-bin/stable_token, forcing a refresh only when its normal mode hands back the token
// WeChat just rejected.
//
// Retries: errcodes -1, 45011, 42010 and 9500002, timeouts of one attempt and HTTP 5xx are
// retried up to MaxRetries times with exponential backoff and jitter; no other errcode is. A
// mass send without a clientmsgid and a preview are never retried; uploads (add_material
// too), draft/add and mass/delete only after an errcode (WeChat did nothing), not after a
// timeout or a 5xx.
//
// Secrets: the AppSecret and access_token travel only in request URLs and the stable_token
// body; errors and log records of this package never contain them.
package wechat
