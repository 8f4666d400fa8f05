package views

// HistoryPager links a page of the history to its neighbours; an empty URL is no link (the
// newest or the oldest page).
type HistoryPager struct {
	OlderURL string
	NewerURL string
}
