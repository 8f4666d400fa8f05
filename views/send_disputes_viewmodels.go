package views

import "time"

// DisputeView is a job (msg_id) for which WeChat sent reports that disagree: the one in force
// and the others, shown side by side on the send's page.
type DisputeView struct {
	MsgID    int64
	Versions []ReportVersion
}

// ReportVersion is one report of a job as received.
type ReportVersion struct {
	Status     string
	Stats      Stats
	ReceivedAt time.Time
	InForce    bool // the first report received, the one the figures come from
}
