// Package wechat speaks the WeChat Official Account protocol Qunfa needs: the access_token, media
// and mass-send APIs (Client), the errcode table (Explain), and the callback codec (Codec, Signature,
// ParseEvent). It stores nothing; callers persist what they need.
//
// Secrets: the AppSecret and access_token travel only in request URLs; errors returned by this
// package never contain them.
package wechat
