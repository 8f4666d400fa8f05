package views

import "time"

// ApprovalView is the four-eyes part of a send's page (empty unless the send awaits approval
// or was rejected).
type ApprovalView struct {
	SendID      uint
	Awaiting    bool
	Rejected    bool
	Reason      string // the rejection's reason
	RequestedBy string
	RequestedAt time.Time
	OwnRequest  bool // the viewer asked for it
	CanApprove  bool
	CanReject   bool
}

// ApprovalQueue is the banner of sends waiting for the viewing admin's approval.
type ApprovalQueue struct {
	Items []ApprovalItem
}

// ApprovalItem is one send in the queue.
type ApprovalItem struct {
	ID          uint
	Title       string
	Target      Target
	RequestedBy string
	CreatedAt   time.Time
}

// ApprovalSetting is the settings page's four-eyes form.
type ApprovalSetting struct {
	Shown     bool // false when the rule could not be read
	Required  bool
	Explicit  bool // saved by an admin; otherwise it follows the number of admins
	Threshold int
	Admins    int
}
