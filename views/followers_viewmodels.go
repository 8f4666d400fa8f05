package views

// FollowersPage is the followers page: the sync (its progress, the buttons), the groups or tags
// with their counts, the filter form and one keyset page of the table.
type FollowersPage struct {
	Layout Layout
	Sync   FollowerSyncView
	// LastSync describes the last sync that finished well ("" when none has).
	LastSync string

	ByTag     bool // today's profile: tags; the 2014 profile: groups
	Audiences []FollowerAudience

	Filter    FollowerFilterView
	Followers []FollowerRowView
	PrevURL   string
	NextURL   string
	// MonthlyCap is WeChat's mass messages a follower receives a month.
	MonthlyCap int
}

// FollowerSyncView is the sync's state as the page and its status JSON show it.
type FollowerSyncView struct {
	ID       uint   `json:"id"`
	Running  bool   `json:"running"`
	Phase    string `json:"phase"`
	Failed   bool   `json:"failed"`
	Done     int    `json:"done"`
	Total    int    `json:"total"`
	Percent  int    `json:"percent"`
	Text     string `json:"text"`  // phase and rows, worded in the page's language
	Speed    string `json:"speed"` // rate and time left, worded ("" when unknown)
	Error    string `json:"error,omitempty"`
	Finished bool   `json:"finished"` // the job ended (done or failed)
}

// FollowerAudience is a group or tag with its count and the URL that filters by it.
type FollowerAudience struct {
	ID       int64
	Name     string
	Count    int
	URL      string
	Selected bool
}

// FollowerFilterView is the filter form as submitted.
type FollowerFilterView struct {
	Query    string
	Audience string // the selected group or tag id, "" for any
	Status   string // subscribed | unsubscribed | all
	From, To string // YYYY-MM-DD (Beijing)
	Active   bool   // some filter beyond the default is set
}

// FollowerRowView is one follower of the table.
type FollowerRowView struct {
	OpenID        string
	Subscribed    bool
	SubscribedAt  string // Beijing time, "—" before details
	UnsubscribeAt string
	Audience      string // the group's name, or the tags' names
	Language      string
	Remark        string
	Blacklisted   bool
	Detailed      bool
	MonthReceived int
}

// DailySyncSetting is the settings page's switch for the daily incremental follower sync.
type DailySyncSetting struct {
	On bool
}
