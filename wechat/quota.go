package wechat

import (
	"context"
	"fmt"
)

// Quota is one interface's daily budget as WeChat counts it (openapi/quota/get, protocol §7):
// the limit, the calls counted today and what is left.
type Quota struct{ DailyLimit, Used, Remain int }

// Quota asks WeChat for the daily budget of one interface, cgiPath being the path with its
// leading slash and no host ("/cgi-bin/message/mass/sendall"). An account that keeps no such
// quota answers 76021 (protocol.CodeQuotaPathNotFound), one that may not ask 76022. A read:
// retried like one.
func (c *Client) Quota(ctx context.Context, cgiPath string) (Quota, error) {
	var out struct {
		Quota *struct {
			DailyLimit flexInt64 `json:"daily_limit"`
			Used       flexInt64 `json:"used"`
			Remain     flexInt64 `json:"remain"`
		} `json:"quota"`
	}
	if err := c.callJSON(ctx, "/cgi-bin/openapi/quota/get", retryAlways, struct {
		CGIPath string `json:"cgi_path"`
	}{cgiPath}, &out); err != nil {
		return Quota{}, err
	}
	if out.Quota == nil {
		return Quota{}, fmt.Errorf("wechat: openapi/quota/get %s: no quota in the answer", cgiPath)
	}
	q := out.Quota
	return Quota{DailyLimit: int(q.DailyLimit), Used: int(q.Used), Remain: int(q.Remain)}, nil
}
