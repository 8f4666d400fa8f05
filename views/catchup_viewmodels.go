package views

// CatchUpView is the catch-up (补发) part of a send's page.
type CatchUpView struct {
	Possible bool   // a finished send, not itself a catch-up
	Waiting  int    // followers who subscribed after it and have not received it
	Underway uint   // a catch-up still on its way (no second one meanwhile)
	Sends    []uint // its catch-ups
	Of       uint   // this send is a catch-up of that one
}

// CatchUpConfirmPage is the plan of a catch-up, before it is sent.
type CatchUpConfirmPage struct {
	Layout        Layout
	Send          SendView // the send caught up on
	Key           string   // idempotency key
	Recipients    int
	LeftOut       int // at their cap this month: left out
	MonthlyCap    int
	Refusers      int
	Batches       int
	Calls         []PlannedCall
	CallsNeeded   int
	QuotaLeft     int
	QuotaExceeded bool
	Error         string // catalogue key: why it cannot be sent (then no send button)
}
