package views

import "time"

// PreviewSection is the send page's preview form (message/mass/preview: the draft sent to one
// person before the mass send) and the draft's recent previews. Its field errors travel in the
// page's Errors: "preview_to" (the recipient) and "preview" (the preview as a whole).
type PreviewSection struct {
	To   string // the recipient as typed
	Kind string // "wxname" (微信号) | "openid"
	// Refusal is WeChat's explanation of a refused preview, in the page language ("" for none),
	// and RefusalDo what the operator should do about it.
	Refusal, RefusalDo string
	Recent             []PreviewRow
}

// Preview recipient kinds of the form.
const (
	PreviewByWXName = "wxname"
	PreviewByOpenID = "openid"
)

// PreviewRow is one recorded preview.
type PreviewRow struct {
	At        time.Time
	Recipient string
	ByWXName  bool
	OK        bool
	MsgID     int64
	Errcode   int
	Reason    string // why it failed, in the page language ("" when it went out)
}
