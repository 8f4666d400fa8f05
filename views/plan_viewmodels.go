package views

// PlanAudience is what the confirmation page says of the audience beyond the recipient count:
// from the synced followers table and the monthly ledger.
type PlanAudience struct {
	FollowersKnown bool // false until a sync: the figures are WeChat's counts
	List           bool // an OpenID list: the leave-out choice applies
	Refusers       int  // known to refuse mass messages (blacklisted)
	LeftOut        int  // followers at their cap left out of the list
	IncludeCapped  bool // the operator turned leaving them out off
}
