package wechat

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"qunfa/wechat/protocol"
	"strconv"
	"strings"
)

// MassMessage is the content of a mass send: "mpnews" uses MediaID, "text" uses Text.
type MassMessage struct {
	MsgType string
	MediaID string
	Text    string
}

// MassFilter selects the audience of SendAll.
type MassFilter struct {
	IsToAll bool
	GroupID int64 // 2014 API: encoded as "group_id":"<n>" (a string, as in the seed's example) when !IsToAll && !UseTag
	UseTag  bool  // today's API: "tag_id": n (a number)
}

// SendAllRequest is message/mass/sendall.
type SendAllRequest struct {
	Filter            MassFilter
	Message           MassMessage
	SendIgnoreReprint int
	ClientMsgID       string
}

// SendRequest is message/mass/send (2 to 10,000 OpenIDs).
type SendRequest struct {
	ToUser            []string
	Message           MassMessage
	SendIgnoreReprint int
	ClientMsgID       string
}

// SendResult is WeChat's answer to a submitted mass send. MsgDataID is only set for mpnews.
type SendResult struct{ MsgID, MsgDataID int64 }

type filterJSON struct {
	IsToAll bool    `json:"is_to_all"`
	GroupID *string `json:"group_id,omitempty"`
	TagID   *int64  `json:"tag_id,omitempty"`
}

type mediaRef struct {
	MediaID string `json:"media_id"`
}

type textContent struct {
	Content string `json:"content"`
}

type massBody struct {
	Filter            *filterJSON  `json:"filter,omitempty"`
	ToUser            []string     `json:"touser,omitempty"`
	MPNews            *mediaRef    `json:"mpnews,omitempty"`
	Text              *textContent `json:"text,omitempty"`
	MsgType           string       `json:"msgtype"`
	SendIgnoreReprint int          `json:"send_ignore_reprint"` // always explicit: 0 stops on reprint
	ClientMsgID       string       `json:"clientmsgid,omitempty"`
}

func (b *massBody) setMessage(m MassMessage) error {
	b.MsgType = m.MsgType
	switch m.MsgType {
	case "mpnews":
		if m.MediaID == "" {
			return errors.New("wechat: mpnews mass message needs a media_id")
		}
		b.MPNews = &mediaRef{MediaID: m.MediaID}
	case "text":
		if m.Text == "" {
			return errors.New("wechat: text mass message needs content")
		}
		b.Text = &textContent{Content: m.Text}
	default:
		return fmt.Errorf("wechat: unsupported mass msgtype %q", m.MsgType)
	}
	return nil
}

type sendBody struct {
	MsgID     flexInt64 `json:"msg_id"`
	MsgDataID flexInt64 `json:"msg_data_id"`
}

// SendAll submits a mass send to everyone or a group/tag (message/mass/sendall).
// On 45065 it returns SendResult{MsgID: existing job} together with the *Error.
func (c *Client) SendAll(ctx context.Context, r SendAllRequest) (SendResult, error) {
	b := massBody{SendIgnoreReprint: r.SendIgnoreReprint, ClientMsgID: r.ClientMsgID}
	switch {
	case r.Filter.IsToAll:
		b.Filter = &filterJSON{IsToAll: true}
	case r.Filter.UseTag:
		id := r.Filter.GroupID
		b.Filter = &filterJSON{TagID: &id}
	default:
		id := strconv.FormatInt(r.Filter.GroupID, 10)
		b.Filter = &filterJSON{GroupID: &id}
	}
	if err := b.setMessage(r.Message); err != nil {
		return SendResult{}, err
	}
	return c.submit(ctx, "/cgi-bin/message/mass/sendall", b)
}

// Send submits a mass send to a list of OpenIDs (message/mass/send).
// On 45065 it returns SendResult{MsgID: existing job} together with the *Error.
func (c *Client) Send(ctx context.Context, r SendRequest) (SendResult, error) {
	b := massBody{ToUser: r.ToUser, SendIgnoreReprint: r.SendIgnoreReprint, ClientMsgID: r.ClientMsgID}
	if b.ToUser == nil {
		b.ToUser = []string{} // let WeChat answer 40130 rather than dropping the key
	}
	if err := b.setMessage(r.Message); err != nil {
		return SendResult{}, err
	}
	return c.submit(ctx, "/cgi-bin/message/mass/send", b)
}

func (c *Client) submit(ctx context.Context, path string, b massBody) (SendResult, error) {
	var out sendBody
	// Without a clientmsgid a repeated send could go out twice: never retry it.
	retry := retryNever
	if b.ClientMsgID != "" {
		retry = retryAlways
	}
	if err := c.callJSON(ctx, path, retry, b, &out); err != nil {
		if e, ok := AsError(err); ok && e.Code == protocol.CodeClientMsgIDExist {
			return SendResult{MsgID: e.MsgID}, err
		}
		return SendResult{}, err
	}
	if out.MsgID == 0 {
		return SendResult{}, fmt.Errorf("wechat: %s: no msg_id in the answer", path)
	}
	return SendResult{MsgID: int64(out.MsgID), MsgDataID: int64(out.MsgDataID)}, nil
}

// DeleteMass deletes a sent mass message (message/mass/delete). articleIdx is 1-based; 0 deletes
// the whole message.
func (c *Client) DeleteMass(ctx context.Context, msgID int64, articleIdx int) error {
	return c.callJSON(ctx, "/cgi-bin/message/mass/delete", retryErrcode, struct {
		MsgID      int64 `json:"msg_id"`
		ArticleIdx int   `json:"article_idx"`
	}{msgID, articleIdx}, nil)
}

// PreviewRequest is message/mass/preview: one recipient, by OpenID or by WeChat ID (微信号).
// WeChat uses ToWXName when both are set.
type PreviewRequest struct {
	ToUser   string
	ToWXName string
	Message  MassMessage
}

// ErrNoRecipient is returned, before any call, by a Preview without ToUser or ToWXName.
var ErrNoRecipient = errors.New("wechat: preview needs a recipient (touser or towxname)")

// Preview sends a message to one person to check it before a mass send (message/mass/preview)
// and returns its msg_id (0 when WeChat answers none). It is never retried: a retry could
// deliver the preview twice.
func (c *Client) Preview(ctx context.Context, r PreviewRequest) (int64, error) {
	if strings.TrimSpace(r.ToUser) == "" && strings.TrimSpace(r.ToWXName) == "" {
		return 0, ErrNoRecipient
	}
	var m massBody
	if err := m.setMessage(r.Message); err != nil {
		return 0, err
	}
	b := previewBody{ToUser: r.ToUser, ToWXName: r.ToWXName, MPNews: m.MPNews, Text: m.Text, MsgType: m.MsgType}
	var out sendBody
	if err := c.callJSON(ctx, "/cgi-bin/message/mass/preview", retryNever, b, &out); err != nil {
		return 0, err
	}
	return int64(out.MsgID), nil
}

// previewBody has no send_ignore_reprint or clientmsgid: preview takes neither.
type previewBody struct {
	ToUser   string       `json:"touser,omitempty"`
	ToWXName string       `json:"towxname,omitempty"`
	MPNews   *mediaRef    `json:"mpnews,omitempty"`
	Text     *textContent `json:"text,omitempty"`
	MsgType  string       `json:"msgtype"`
}

// MassSpeed is the account's mass-send speed: Speed 0 (fastest) to 4, RealSpeed in units of
// 10 000 messages a minute (0 → 80, 1 → 60, 2 → 45, 3 → 30, 4 → 10).
type MassSpeed struct{ Speed, RealSpeed int }

// GetMassSpeed reads the mass-send speed (message/mass/speed/get, empty body).
func (c *Client) GetMassSpeed(ctx context.Context) (MassSpeed, error) {
	var out struct {
		Speed     flexInt64 `json:"speed"`
		RealSpeed flexInt64 `json:"realspeed"`
	}
	if err := c.call(ctx, apiRequest{method: http.MethodPost, path: "/cgi-bin/message/mass/speed/get", retry: retryAlways}, &out); err != nil {
		return MassSpeed{}, err
	}
	return MassSpeed{Speed: int(out.Speed), RealSpeed: int(out.RealSpeed)}, nil
}

// SetMassSpeed sets the mass-send speed, 0 (fastest) to 4 (message/mass/speed/set); WeChat
// answers 45083 outside that range.
func (c *Client) SetMassSpeed(ctx context.Context, speed int) error {
	return c.callJSON(ctx, "/cgi-bin/message/mass/speed/set", retryAlways, struct {
		Speed int `json:"speed"`
	}{speed}, nil)
}

// Mass job states answered by message/mass/get.
const (
	MassSendSuccess = "SEND_SUCCESS"
	MassSending     = "SENDING"
	MassSendFail    = "SEND_FAIL"
	MassDeleted     = "DELETE"
)

// GetMass asks for a mass job's state (message/mass/get): SEND_SUCCESS, SENDING, SEND_FAIL or DELETE.
func (c *Client) GetMass(ctx context.Context, msgID int64) (string, error) {
	var out struct {
		MsgID     flexInt64 `json:"msg_id"`
		MsgStatus string    `json:"msg_status"`
	}
	// The documented request type of msg_id is a string (as in the official example).
	err := c.callJSON(ctx, "/cgi-bin/message/mass/get", retryAlways, struct {
		MsgID string `json:"msg_id"`
	}{strconv.FormatInt(msgID, 10)}, &out)
	if err != nil {
		return "", err
	}
	if out.MsgStatus == "" {
		return "", fmt.Errorf("wechat: message/mass/get: no msg_status in the answer")
	}
	return out.MsgStatus, nil
}
