package wechat

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"qunfa/wechat/protocol"
)

// Article analytics (图文分析): datacube getarticletotal and getarticlesummary (protocol §11).
// Both take one Beijing day at a time (span 1) and answer {"list":[…]} with no errcode; a day
// WeChat has not published yet answers an empty list (or 61503). Not advanced calls: they use
// none of the mass-send quota.

// ArticleCounters are the figures WeChat keeps per article (people / times).
type ArticleCounters struct {
	IntPageReadUser  int `json:"int_page_read_user"`  // people who read the article page
	IntPageReadCount int `json:"int_page_read_count"` // times it was read
	OriPageReadUser  int `json:"ori_page_read_user"`  // people who opened "阅读原文"
	OriPageReadCount int `json:"ori_page_read_count"`
	ShareUser        int `json:"share_user"`
	ShareCount       int `json:"share_count"`
	AddToFavUser     int `json:"add_to_fav_user"` // favourites (收藏)
	AddToFavCount    int `json:"add_to_fav_count"`
}

// ArticleTotalDay is one stat_date of getarticletotal: the article's figures from its send
// up to and including StatDate (cumulative), and how many it was delivered to.
type ArticleTotalDay struct {
	StatDate   string `json:"stat_date"`
	TargetUser int    `json:"target_user"`
	ArticleCounters
}

// ArticleTotal is one article of the messages sent on RefDate, with its days.
type ArticleTotal struct {
	RefDate    string // the send day
	MsgDataID  int64  // msg_data_id of the send (sendall/send's answer)
	ArticleIdx int    // 1-based position in the message
	Title      string
	Details    []ArticleTotalDay
}

// ArticleSummary is one article's figures on one day (that day's alone, not cumulative).
type ArticleSummary struct {
	RefDate    string
	MsgDataID  int64
	ArticleIdx int
	Title      string
	ArticleCounters
}

type articleItem struct {
	RefDate string            `json:"ref_date"`
	MsgID   string            `json:"msgid"`
	Title   string            `json:"title"`
	Details []ArticleTotalDay `json:"details"`
	ArticleCounters
}

// ParseArticleMsgID splits a datacube msgid "<msg_data_id>_<index>" (§11.2). The prefix
// exceeds 2³¹, so it is an int64; the split is on the last underscore.
func ParseArticleMsgID(s string) (msgDataID int64, index int, err error) {
	i := strings.LastIndexByte(s, '_')
	if i <= 0 || i == len(s)-1 {
		return 0, 0, fmt.Errorf("wechat: datacube msgid %q is not <msg_data_id>_<index>", s)
	}
	msgDataID, err1 := strconv.ParseInt(s[:i], 10, 64)
	index, err2 := strconv.Atoi(s[i+1:])
	if err1 != nil || err2 != nil || msgDataID <= 0 || index < 1 {
		return 0, 0, fmt.Errorf("wechat: datacube msgid %q is not <msg_data_id>_<index>", s)
	}
	return msgDataID, index, nil
}

// ArticleMsgID is the datacube msgid of article index (1-based) of a send.
func ArticleMsgID(msgDataID int64, index int) string {
	return strconv.FormatInt(msgDataID, 10) + "_" + strconv.Itoa(index)
}

// DaySpans cuts the inclusive Beijing-day range [begin, end] into spans of at most max days,
// in order: what an interface of that span needs to cover the range.
func DaySpans(begin, end string, max int) ([][2]string, error) {
	b, err1 := time.Parse(time.DateOnly, begin)
	e, err2 := time.Parse(time.DateOnly, end)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("wechat: datacube dates %q…%q are not YYYY-MM-DD", begin, end)
	}
	if e.Before(b) {
		return nil, fmt.Errorf("wechat: datacube end date %s is before begin date %s", end, begin)
	}
	if max < 1 {
		max = 1
	}
	var out [][2]string
	for s := b; !s.After(e); s = s.AddDate(0, 0, max) {
		last := s.AddDate(0, 0, max-1)
		if last.After(e) {
			last = e
		}
		out = append(out, [2]string{s.Format(time.DateOnly), last.Format(time.DateOnly)})
	}
	return out, nil
}

// datacube POSTs one span to /datacube/<name> and decodes its list. A read: retried like one.
func (c *Client) datacube(ctx context.Context, name, begin, end string) ([]articleItem, error) {
	var out struct {
		List []articleItem `json:"list"`
	}
	err := c.callJSON(ctx, "/datacube/"+name, retryAlways, struct {
		Begin string `json:"begin_date"`
		End   string `json:"end_date"`
	}{begin, end}, &out)
	return out.List, err
}

// ArticleTotals is getarticletotal for the send days begin…end (one call a day): every article
// mass-sent on each day, with its cumulative figures per stat_date so far (at most 7 days).
func (c *Client) ArticleTotals(ctx context.Context, begin, end string) ([]ArticleTotal, error) {
	spans, err := DaySpans(begin, end, protocol.ArticleStatsSpanDays)
	if err != nil {
		return nil, err
	}
	var out []ArticleTotal
	for _, sp := range spans {
		items, err := c.datacube(ctx, "getarticletotal", sp[0], sp[1])
		if err != nil {
			return out, err
		}
		for _, it := range items {
			id, idx, err := ParseArticleMsgID(it.MsgID)
			if err != nil {
				return out, err
			}
			out = append(out, ArticleTotal{RefDate: it.RefDate, MsgDataID: id, ArticleIdx: idx, Title: it.Title, Details: it.Details})
		}
	}
	return out, nil
}

// ArticleSummaries is getarticlesummary for the days begin…end (one call a day): each article's
// figures on each day, for the articles that reached WeChat's threshold that day.
func (c *Client) ArticleSummaries(ctx context.Context, begin, end string) ([]ArticleSummary, error) {
	spans, err := DaySpans(begin, end, protocol.ArticleStatsSpanDays)
	if err != nil {
		return nil, err
	}
	var out []ArticleSummary
	for _, sp := range spans {
		items, err := c.datacube(ctx, "getarticlesummary", sp[0], sp[1])
		if err != nil {
			return out, err
		}
		for _, it := range items {
			id, idx, err := ParseArticleMsgID(it.MsgID)
			if err != nil {
				return out, err
			}
			out = append(out, ArticleSummary{RefDate: it.RefDate, MsgDataID: id, ArticleIdx: idx, Title: it.Title, ArticleCounters: it.ArticleCounters})
		}
	}
	return out, nil
}
