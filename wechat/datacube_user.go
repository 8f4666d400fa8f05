package wechat

import (
	"context"
)

// User analytics (用户分析, protocol §12): POST datacube/getusersummary and getusercumulate with
// {"begin_date","end_date"} (2006-01-02, inclusive, at most 7 days; data is T+1). Success is
// {"list":[…]} with no errcode; unknown fields (a real getusercumulate carries user_source) are
// ignored.

// UserSummary is one row of getusersummary: a day's new and cancelled followers from one source.
type UserSummary struct {
	RefDate    string
	UserSource int
	NewUser    int
	CancelUser int
}

// UserCumulate is one row of getusercumulate: the followers at the end of a day.
type UserCumulate struct {
	RefDate      string
	CumulateUser int
}

type dateSpan struct {
	BeginDate string `json:"begin_date"`
	EndDate   string `json:"end_date"`
}

// GetUserSummary is datacube/getusersummary for begin..end.
func (c *Client) GetUserSummary(ctx context.Context, begin, end string) ([]UserSummary, error) {
	var out struct {
		List []struct {
			RefDate    string    `json:"ref_date"`
			UserSource flexInt64 `json:"user_source"`
			NewUser    flexInt64 `json:"new_user"`
			CancelUser flexInt64 `json:"cancel_user"`
		} `json:"list"`
	}
	if err := c.callJSON(ctx, "/datacube/getusersummary", retryAlways, dateSpan{begin, end}, &out); err != nil {
		return nil, err
	}
	rows := make([]UserSummary, len(out.List))
	for i, r := range out.List {
		rows[i] = UserSummary{RefDate: r.RefDate, UserSource: int(r.UserSource), NewUser: int(r.NewUser), CancelUser: int(r.CancelUser)}
	}
	return rows, nil
}

// GetUserCumulate is datacube/getusercumulate for begin..end.
func (c *Client) GetUserCumulate(ctx context.Context, begin, end string) ([]UserCumulate, error) {
	var out struct {
		List []struct {
			RefDate      string    `json:"ref_date"`
			CumulateUser flexInt64 `json:"cumulate_user"`
		} `json:"list"`
	}
	if err := c.callJSON(ctx, "/datacube/getusercumulate", retryAlways, dateSpan{begin, end}, &out); err != nil {
		return nil, err
	}
	rows := make([]UserCumulate, len(out.List))
	for i, r := range out.List {
		rows[i] = UserCumulate{RefDate: r.RefDate, CumulateUser: int(r.CumulateUser)}
	}
	return rows, nil
}
