// Package models is Qunfa's domain: the SQLite store (GORM, versioned migrations), operators and
// sessions, news drafts and thumbnails, quota planning, the send pipeline (intent and clientmsgid
// committed before every WeChat call, OpenID lists split into batches of 10 000, restart-safe worker)
// and MASSSENDJOBFINISH ingestion. It talks to WeChat only through the WeChat interface it declares.
package models
