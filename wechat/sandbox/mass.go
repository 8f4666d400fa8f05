package sandbox

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// massPayload is what sendall and send have in common (§3.1, §3.2).
type massPayload struct {
	MsgType string `json:"msgtype"`
	MPNews  *struct {
		MediaID string `json:"media_id"`
	} `json:"mpnews"`
	Text *struct {
		Content string `json:"content"`
	} `json:"text"`
	SendIgnoreReprint int    `json:"send_ignore_reprint"`
	ClientMsgID       string `json:"clientmsgid"`
}

// message is a validated payload.
type message struct {
	kind          string // mpnews or text
	mediaID       string
	content       string
	articles      int
	ignoreReprint int
	clientMsgID   string
	draft         bool // mpnews of a draft-box item (draft/add): a mass send takes it
}

// checkPayload validates msgtype and its content. Only mpnews and text are simulated;
// other msgtypes answer 40008. A draft already mass-sent answers 40007, except with consumedOK
// (sendall and send: submit answers 45065 first when the clientmsgid is a repeat).
func (s *Server) checkPayload(p massPayload, consumedOK bool) (message, *apiError) {
	if len(p.ClientMsgID) > clientMsgIDMax {
		return message{}, fail(45067)
	}
	switch p.MsgType {
	case "mpnews":
		if p.MPNews == nil {
			return message{}, fail(44003)
		}
		if p.MPNews.MediaID == "" {
			return message{}, fail(41006)
		}
		m, e := s.findMedia(p.MPNews.MediaID, consumedOK, "news", "draft")
		if e != nil {
			return message{}, e
		}
		return message{kind: "mpnews", mediaID: p.MPNews.MediaID, articles: m.articles,
			ignoreReprint: p.SendIgnoreReprint, clientMsgID: p.ClientMsgID, draft: m.kind == "draft"}, nil
	case "text":
		if p.Text == nil || strings.TrimSpace(p.Text.Content) == "" {
			return message{}, fail(44004)
		}
		if utf8.RuneCountInString(p.Text.Content) > textMaxChars {
			return message{}, fail(45002)
		}
		return message{kind: "text", content: p.Text.Content, ignoreReprint: p.SendIgnoreReprint, clientMsgID: p.ClientMsgID}, nil
	default:
		return message{}, fail(40008)
	}
}

// sendAll serves POST /cgi-bin/message/mass/sendall: to everyone, a 2014 group_id (number or
// string) or today's tag_id. An unknown group or tag answers -1, as the real server does (§3.1).
func (s *Server) sendAll(r *http.Request) (any, *apiError) {
	var req struct {
		massPayload
		Filter *struct {
			IsToAll bool            `json:"is_to_all"`
			GroupID json.RawMessage `json:"group_id"`
			TagID   json.RawMessage `json:"tag_id"`
		} `json:"filter"`
	}
	if e := decodeJSON(r, &req); e != nil {
		return nil, e
	}
	if req.Filter == nil {
		return nil, fail(47001)
	}
	var target string
	var audience []int
	switch {
	case req.Filter.IsToAll:
		target, audience = "all", s.pop.members(AllFollowers)
	case len(req.Filter.GroupID) > 0 || len(req.Filter.TagID) > 0:
		raw, isTagID := req.Filter.GroupID, false
		if len(raw) == 0 {
			raw, isTagID = req.Filter.TagID, true
		}
		id, ok := flexibleInt(raw)
		if !ok {
			return nil, fail(40050)
		}
		if !s.pop.groupExists(id) || (isTagID && !isTag(id)) {
			return nil, fail(-1)
		}
		target, audience = "group:"+strconv.FormatInt(id, 10), s.pop.members(id)
	default:
		return nil, fail(40050)
	}
	msg, e := s.checkPayload(req.massPayload, true)
	if e != nil {
		return nil, e
	}
	return s.submit(target, audience, msg, req.ClientMsgID)
}

// send serves POST /cgi-bin/message/mass/send: 2 to 10 000 OpenIDs of followers (§3.2).
func (s *Server) send(r *http.Request) (any, *apiError) {
	var req struct {
		massPayload
		ToUser json.RawMessage `json:"touser"`
	}
	if e := decodeJSON(r, &req); e != nil {
		return nil, e
	}
	var ids []string
	if len(req.ToUser) == 0 || json.Unmarshal(req.ToUser, &ids) != nil {
		return nil, fail(40130) // no list the server can read, as with "toUsers" (§3.2)
	}
	if len(ids) < touserMin || len(ids) > touserMax {
		return nil, fail(40130)
	}
	seen := make(map[int]bool, len(ids))
	audience := make([]int, 0, len(ids))
	for _, id := range ids {
		k, known, _ := s.pop.lookup(id) // one who left is accepted and not delivered (UNCONFIRMED)
		if !known {
			return nil, fail(40003)
		}
		if !seen[k] { // a repeated OpenID receives the message once
			seen[k] = true
			audience = append(audience, k)
		}
	}
	msg, e := s.checkPayload(req.massPayload, true)
	if e != nil {
		return nil, e
	}
	return s.submit("openids:"+strings.Join(ids, ","), audience, msg, req.ClientMsgID)
}

type sendResponse struct {
	Errcode   int    `json:"errcode"`
	Errmsg    string `json:"errmsg"`
	MsgID     int64  `json:"msg_id"`
	MsgDataID int64  `json:"msg_data_id,omitempty"` // only for mpnews (§3.1)
}

// submit de-duplicates by clientmsgid, creates the job and schedules its finish.
// Without a clientmsgid WeChat derives a key from the audience and the content, so the
// same message to the same audience twice within 24 h is refused as well (§3.1).
// An accepted job takes its draft out of the draft box: the draft's media_id answers 40007
// from then on — after the clientmsgid check, so a repeat of the call that took it still
// learns its msg_id (45065).
func (s *Server) submit(target string, audience []int, msg message, clientMsgID string) (any, *apiError) {
	key := "id:" + clientMsgID
	if clientMsgID == "" {
		sum := sha1.Sum([]byte(target + "\x00" + msg.kind + "\x00" + msg.mediaID + msg.content))
		key = "auto:" + hex.EncodeToString(sum[:])
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, c := range s.clientIDs {
		if now.Sub(c.at) >= clientMsgWindow {
			delete(s.clientIDs, k)
		}
	}
	if c, ok := s.clientIDs[key]; ok {
		return nil, &apiError{code: 45065, msgID: c.msgID}
	}
	if msg.draft {
		m := s.media[msg.mediaID]
		if m == nil || m.consumed {
			return nil, fail(40007) // another mass send took the draft first
		}
		m.consumed = true
	}
	j := s.newJob(audience, msg, now)
	s.clientIDs[key] = clientMsg{msgID: j.msgID, at: now}
	return sendResponse{Errcode: 0, Errmsg: "send job submission success", MsgID: j.msgID, MsgDataID: j.msgDataID}, nil
}

type clientMsg struct {
	msgID int64
	at    time.Time
}

// deleteMass serves POST /cgi-bin/message/mass/delete (§3.4): only a finished, successful
// mpnews job can be deleted; article_idx 0 (or absent) deletes it all, 1..n one article.
func (s *Server) deleteMass(r *http.Request) (any, *apiError) {
	var req struct {
		MsgID      json.RawMessage `json:"msg_id"`
		ArticleIdx json.RawMessage `json:"article_idx"`
	}
	if e := decodeJSON(r, &req); e != nil {
		return nil, e
	}
	msgID, ok := flexibleInt(req.MsgID)
	if !ok {
		return nil, fail(40059)
	}
	idx := int64(0)
	if len(req.ArticleIdx) > 0 && string(req.ArticleIdx) != "null" {
		if idx, ok = flexibleInt(req.ArticleIdx); !ok {
			return nil, fail(40060)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[msgID]
	if !ok || !j.finished || j.deleted || j.status() != statusSendSuccess || j.msg.kind != "mpnews" {
		return nil, fail(40059)
	}
	if idx < 0 || idx > int64(j.msg.articles) {
		return nil, fail(40060)
	}
	if idx == 0 {
		j.deleted = true
	} else {
		j.deletedArticles[int(idx)] = true
		if len(j.deletedArticles) == j.msg.articles {
			j.deleted = true
		}
	}
	return okBody{Errcode: 0, Errmsg: "ok"}, nil
}

type okBody struct {
	Errcode int    `json:"errcode"`
	Errmsg  string `json:"errmsg"`
}

// getMass serves POST /cgi-bin/message/mass/get (§3.5); msg_id may be a number or a string.
func (s *Server) getMass(r *http.Request) (any, *apiError) {
	var req struct {
		MsgID json.RawMessage `json:"msg_id"`
	}
	if e := decodeJSON(r, &req); e != nil {
		return nil, e
	}
	msgID, ok := flexibleInt(req.MsgID)
	if !ok {
		return nil, fail(40059)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[msgID]
	if !ok {
		return nil, fail(40059)
	}
	status := "SENDING"
	switch {
	case j.deleted:
		status = "DELETE"
	case !j.finished:
	case j.status() == statusSendSuccess:
		status = "SEND_SUCCESS"
	default:
		status = "SEND_FAIL"
	}
	return struct {
		MsgID     int64  `json:"msg_id"`
		MsgStatus string `json:"msg_status"`
	}{msgID, status}, nil
}

// flexibleInt reads a JSON number or a string holding one ("2", as 2014 clients send group_id).
func flexibleInt(raw json.RawMessage) (int64, bool) {
	if len(raw) == 0 {
		return 0, false
	}
	var n int64
	if json.Unmarshal(raw, &n) == nil {
		return n, true
	}
	var str string
	if json.Unmarshal(raw, &str) != nil {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(str), 10, 64)
	return n, err == nil
}

// Preview is a preview the sandbox accepted (message/mass/preview).
type Preview struct {
	MsgID            int64
	ToUser, ToWXName string // the recipient: ToWXName when the request had one, else ToUser
	MsgType, MediaID string
	Content          string
}

// wxName is a plausible WeChat ID: 6–20 letters, digits, '_' or '-', starting with a letter.
func wxName(s string) bool {
	if len(s) < 6 || len(s) > 20 || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// preview serves POST /cgi-bin/message/mass/preview (§3.3): one recipient, touser (a follower's
// OpenID, as a string) or towxname (a WeChat ID); towxname wins when both are set. Neither, a
// touser that is not a string or not a follower, or an implausible towxname → 40003; more than
// 100 towxname previews a Beijing day → 45009 (both codes UNCONFIRMED). Same payload rules as
// sendall. Answers {"errcode":0,"errmsg":"preview success","msg_id"}. Not an advanced call, and
// no MASSSENDJOBFINISH follows.
func (s *Server) preview(r *http.Request) (any, *apiError) {
	var req struct {
		massPayload
		ToUser   json.RawMessage `json:"touser"`
		ToWXName string          `json:"towxname"`
	}
	if e := decodeJSON(r, &req); e != nil {
		return nil, e
	}
	p := Preview{ToWXName: strings.TrimSpace(req.ToWXName)}
	if p.ToWXName != "" {
		if !wxName(p.ToWXName) {
			return nil, fail(40003)
		}
	} else {
		if len(req.ToUser) == 0 || json.Unmarshal(req.ToUser, &p.ToUser) != nil || p.ToUser == "" {
			return nil, fail(40003)
		}
		if _, ok := s.pop.follower(p.ToUser); !ok {
			return nil, fail(40003)
		}
	}
	msg, e := s.checkPayload(req.massPayload, false)
	if e != nil {
		return nil, e
	}
	p.MsgType, p.MediaID, p.Content = msg.kind, msg.mediaID, msg.content
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.ToWXName != "" {
		if d := dayKey(now); d != s.previewDay {
			s.previewDay, s.previewWX = d, 0
		}
		if s.previewWX >= previewDailyWX {
			return nil, fail(45009)
		}
		s.previewWX++
	}
	p.MsgID = s.nextMsgID
	s.nextMsgID++
	s.previews = append(s.previews, p)
	return sendResponse{Errcode: 0, Errmsg: "preview success", MsgID: p.MsgID}, nil
}

// Previews returns the previews accepted so far, oldest first.
func (s *Server) Previews() []Preview {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Preview(nil), s.previews...)
}

// realSpeed is the documented 万/minute of each speed 0–4 (§3.6).
var realSpeed = [...]int{80, 60, 45, 30, 10}

// speedGet serves POST /cgi-bin/message/mass/speed/get (empty body allowed) → {"speed","realspeed"}.
func (s *Server) speedGet(*http.Request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return struct {
		Speed     int `json:"speed"`
		RealSpeed int `json:"realspeed"`
	}{s.speed, realSpeed[s.speed]}, nil
}

// speedSet serves POST /cgi-bin/message/mass/speed/set {"speed":0..4} → {"errcode":0,"errmsg":""}.
// speed missing → 45084; not an integer in 0–4 → 45083.
func (s *Server) speedSet(r *http.Request) (any, *apiError) {
	var req struct {
		Speed json.RawMessage `json:"speed"`
	}
	if e := decodeJSON(r, &req); e != nil {
		return nil, e
	}
	if len(req.Speed) == 0 || string(req.Speed) == "null" {
		return nil, fail(45084)
	}
	v, ok := flexibleInt(req.Speed)
	if !ok || v < 0 || v >= int64(len(realSpeed)) {
		return nil, fail(45083)
	}
	s.mu.Lock()
	s.speed = int(v)
	s.mu.Unlock()
	return okBody{Errcode: 0, Errmsg: ""}, nil
}
