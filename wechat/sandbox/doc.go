// Package sandbox simulates the WeChat Official Account API server (api.weixin.qq.com) for
// demos and tests, with the seed's (2014) rules by default. A *Server is an http.Handler
// mounted at the root; it keeps everything in memory.
//
// # Conventions (protocol §0)
//
// Every answer is HTTP 200 with JSON. Errors are {"errcode":N,"errmsg":"<official text> rid:
// xxxxxxxx-xxxxxxxx-xxxxxxxx"}; 45065 also carries "msg_id". Success bodies have WeChat's
// shapes: some with errcode 0, some without. Calls are checked in this order:
//
//  0. injected latency or a hang (SetLatency, HangNext), a hold before processing (Hold), a bare
//     HTTP status (FailNextStatus);
//  1. method: a GET endpoint called otherwise → 43001 "require GET method", a POST endpoint → 43002;
//  2. a failure queued with FailNext (test hook; FailNextAfterAccept instead replaces the answer
//     of an accepted call, DropNextAfterAccept closes its connection, Hold after withholds it);
//  3. access_token (business calls): missing → 41001, unknown or superseded past the 5-minute
//     overlap → 40001, past TokenTTL or after ExpireTokens → 42001;
//  4. daily quota (advanced calls only) → 45009 "reach max api daily quota limit";
//  5. the endpoint's own validation (below). A JSON body that is empty → 44002, malformed → 47001.
//
// # Endpoints
//
// GET /cgi-bin/token?grant_type=client_credential&appid=&secret= → {"access_token","expires_in"}.
// grant_type other than client_credential → 40002; appid missing → 41002, wrong → 40013; secret
// missing → 41004, wrong → 40001 (as in §1.1's table). A new token supersedes the previous
// cgi-bin/token tokens, which keep working for 5 minutes. Not counted.
//
// POST /cgi-bin/stable_token {"grant_type","appid","secret","force_refresh"} (JSON body only,
// §1.2) → {"access_token","expires_in"}. Same credential checks; empty body → 44002, not JSON →
// 47001. Isolated from cgi-bin/token: neither supersedes the other's tokens. Normal mode answers
// the current stable token with its remaining lifetime, renewing it when 5 minutes or less are
// left (expires_in is always ≥ 300; the old one lives out its last minutes). force_refresh
// issues a new token and invalidates the old one at once; at most 20 a Beijing day → 45009 and
// 30 s apart → 45011 (both codes UNCONFIRMED). Not counted.
//
// POST /cgi-bin/media/upload?type=thumb|image, multipart field "media" → {"type","media_id",
// "created_at"}. Advanced call. type other than thumb/image → 40004 (voice and video are not
// simulated); no or empty "media" part → 41005; thumb not a JPEG, image not a JPEG or PNG (by
// magic bytes) → 40005; thumb over 64 KB or image over 2 MB → 40006; a file over 10 MB → 45001.
// Media ids live 3 days (by Config.Now); after that they answer 40007 wherever they are used.
//
// POST /cgi-bin/material/add_material?type=thumb|image, multipart field "media" (today's API) →
// {"media_id","url":"http://mmbiz.qpic.cn/…"}: a permanent material. The checks of media/upload
// (type other than thumb/image → 40004; no "media" → 41005; format → 40005; thumb over 64 KB or
// image over 2 MB → 40006). Its media_id never expires; it is taken wherever a thumb is, and it is
// the only cover draft/add accepts. Not counted: it is not a mass-send call (Qunfa uploads each
// cover once, ever; the real material library's own limits are not simulated).
//
// POST /cgi-bin/media/uploadimg, multipart field "media" (§2.2) → {"url":"http://mmbiz.qpic.cn/…",
// "errcode":0,"errmsg":"ok"}, an image URL for article HTML. No or empty "media" → 41005; not a
// JPEG or PNG → 40005; 1 MB or more → 40009. Not counted (it is not in the seed's advanced
// interface, and WeChat does not count it against the material library).
//
// POST /cgi-bin/media/uploadnews {"articles":[...]} → {"type":"news","media_id","created_at"}.
// Advanced call. No articles → 44003; more than MaxArticles → 45008. Per article: empty title
// → 44003, title over 64 characters → 45003, empty content → 44004, content of 20 000
// characters or 1 MB or more → 45002, digest over 120 characters → 45004, author over 8
// characters → 45110 (codes and limits as the official backend counts them; UNCONFIRMED
// against the real server), no thumb_media_id → 41006, a
// thumb_media_id that is not a live thumb or image → 40007; show_cover_pic, need_open_comment
// and only_fans_can_comment may be numbers or strings, 0 or 1, else 47001 (UNCONFIRMED code).
// The media_id lives 3 days like other temporary media.
//
// POST /cgi-bin/draft/add {"articles":[...]} (today's API) → {"media_id"} only. Advanced call
// (the upload path on today's API). The same article checks; 0 articles → 44003, more than 8 →
// 45008; a thumb_media_id that is not a permanent material (a temporary media/upload id
// included) → 40007, as the official doc says "必须是永久MediaID". The media_id does not expire
// and is accepted wherever an uploadnews media_id is (mpnews in sendall, send and preview) until
// a mass send takes it: "上传到草稿箱中的素材被群发或发布后，该素材将从草稿箱中移除" — once sendall
// or send has accepted a job with it, it answers 40007 everywhere (a preview does not take it).
//
// POST /cgi-bin/message/mass/sendall {"filter":{...},"msgtype",...,"clientmsgid"} → {"errcode":0,
// "errmsg":"send job submission success","msg_id","msg_data_id"} (msg_data_id for mpnews only).
// Advanced call. No filter → 47001. filter.is_to_all true → every follower; else filter.group_id
// (number or string, 2014) or filter.tag_id (today; tags are groups 2 and 100+). Neither, or not a
// number → 40050; an unknown group or tag → -1 "system error", as the real server answers (§3.1).
//
// POST /cgi-bin/message/mass/send {"touser":[...],"msgtype",...} → same answer as sendall.
// Advanced call. touser missing, unreadable, or not 2 to 10 000 entries → 40130; an OpenID that
// is not a follower → 40003. A repeated OpenID receives the message once.
//
// Payload rules shared by sendall and send: clientmsgid over 64 bytes → 45067; msgtype mpnews
// needs mpnews.media_id (no mpnews object → 44003, empty id → 41006) of a live uploadnews media
// or draft (anything else → 40007; a draft an accepted sendall/send took → 40007, checked after
// the clientmsgid, so a repeat of the call that took it answers 45065 — UNCONFIRMED order); an
// accepted job takes its draft out of the draft box; msgtype text needs text.content (empty → 44004, over 2048 characters
// → 45002); any other msgtype → 40008. A clientmsgid seen in the last 24 h → 45065 with the
// existing job's msg_id; without a clientmsgid the key is derived from the audience and the
// content, so the same message to the same audience twice within 24 h is refused too (§3.1).
// msg_ids start above 2^31 and increase.
//
// POST /cgi-bin/message/mass/delete {"msg_id","article_idx"} → {"errcode":0,"errmsg":"ok"}.
// Advanced call. msg_id (number or string) missing, unknown, not finished, not "send success",
// not mpnews, or already deleted → 40059; article_idx outside 0..articles → 40060. 0 or absent
// deletes the whole message; deleting every article one by one deletes it too.
//
// POST /cgi-bin/message/mass/get {"msg_id"} (number or string) → {"msg_id","msg_status"}, status
// SENDING until the job finishes, then SEND_SUCCESS or SEND_FAIL (also after a failed review),
// or DELETE. Missing or unknown → 40059. Not counted.
//
// POST /cgi-bin/message/mass/preview {"touser"|"towxname","msgtype",...} → {"errcode":0,
// "errmsg":"preview success","msg_id"}. One recipient: touser (a follower's OpenID, a string) or
// towxname (a WeChat ID: 6–20 letters, digits, _ or -, starting with a letter); towxname wins
// when both are set. Neither, a touser that is not a string or not a follower, or an
// implausible towxname → 40003; over 100 towxname previews a Beijing day → 45009 (both codes
// UNCONFIRMED). The payload rules of sendall (clientmsgid ignored); a preview does not take a
// draft out of the draft box. Not counted; no MASSSENDJOBFINISH follows. Previews lists them.
//
// POST /cgi-bin/message/mass/speed/get (empty body) → {"speed","realspeed"}: speed 0–4 (0 by
// default), realspeed in 万/minute per the documented table 80, 60, 45, 30, 10.
// POST /cgi-bin/message/mass/speed/set {"speed"} → {"errcode":0,"errmsg":""}. speed missing →
// 45084; not an integer 0–4 → 45083. Neither is counted.
//
// POST /cgi-bin/openapi/quota/get {"cgi_path":"/cgi-bin/message/mass/sendall"} (§7, §16) →
// {"errcode":0,"errmsg":"ok","quota":{"daily_limit","used","remain"}}. The sandbox answers it for
// each counted path (media/upload, media/uploadnews, draft/add, message/mass/sendall, send,
// delete) from the same count that answers 45009: under the seed's rule one budget is shared, so
// every one of them reports daily_limit DailyQuota, used the counted calls of the Beijing day on
// all of them together, remain the rest (0 once 45009 is answered). Any other path, or none →
// 76021. Not counted. Whether the real server answers mass-send paths is UNCONFIRMED (§17.8):
// the sandbox's choice is that it does; FailNext(path, 76021 or 76022) plays an account that
// does not.
//
// GET /cgi-bin/groups/get → {"groups":[{"id","name","count"}]}.
// GET /cgi-bin/tags/get → {"tags":[{"id","name","count"}]} (groups 2 and 100+).
// GET /cgi-bin/user/get?next_openid= → {"total","count","data":{"openid":[...]},"next_openid"}:
// 10 000 current followers a page, in order of subscription, after next_openid; next_openid is the
// page's last OpenID; a page past the end has count 0, no data and an empty next_openid. total is
// the number of followers now. New followers join at the end and leavers are skipped, so paging
// stays consistent while followers come and go between pages; the OpenID of a follower who has
// left since still works as next_openid. An OpenID that was never a follower → 40003.
//
// POST /cgi-bin/tags/members/getblacklist {"begin_openid"} (§14) → {"total","count","data":
// {"openid":[...]},"next_openid"}: the members of 黑名单 (group 1), 1 000 a page after
// begin_openid ("" = from the top), shaped and ended like user/get; total is the blacklist's size.
// The page size is UNCONFIRMED (10 000 in the 2016 doc, 1 000 in today's): the sandbox takes 1 000.
// An empty body → 44002; a begin_openid that was never a follower → 40003. Not counted.
//
// POST /cgi-bin/user/tag/get {"tagid","next_openid"} → {"count","data":{"openid":[...]},
// "next_openid"}: the tag's followers, paged like user/get (10 000 a page, UNCONFIRMED), without
// "total". tagid missing, not a number, or not a tag (0 and 1 are groups only) → 45159; an
// unknown next_openid → 40003.
//
// POST /cgi-bin/tags/getidlist {"openid"} → {"tagid_list":[...]}. Missing or not a current
// follower → 40003.
//
// POST /cgi-bin/user/info/batchget {"user_list":[{"openid","lang"}]} → {"user_info_list":[...]}
// in request order, each {"subscribe":1,"openid","language","subscribe_time","remark","groupid",
// "tagid_list","subscribe_scene","qr_scene","qr_scene_str"} (no nickname, avatar, sex or place
// since 2021-12-27; no unionid); a follower who has left answers only {"subscribe":0,"openid"}.
// language is the follower's own (mostly zh_CN, some en and zh_TW); subscribe_time spreads the
// initial population over the years from 2013 to the sandbox's start (2026 at the latest), in
// user/get order, and is the moment of joining for later followers; about 2% carry a remark.
// user_list missing, empty or over 100 → 40032; an OpenID that was never a follower, or lang other
// than zh_CN (default), zh_TW, en → 40003.
//
// None of the audience endpoints is counted.
//
// # Rules
//
// Daily quota: DailyQuota advanced calls (media/upload, uploadnews, draft/add, sendall, send, delete) per
// Beijing calendar day of Config.Now. Only accepted calls use quota: a call rejected for any
// reason (including 45009 and 45065) does not, so a client's fix-and-retry costs nothing.
// No other endpoint is counted: material/add_material, in particular, is not a mass-send call.
// openapi/quota/get reports this count; QuotaLeft reads it in-process.
//
// Demo population: Followers deterministic 28-character OpenIDs ("oV5Crj…" and 22 characters that
// encode the follower's index through a fixed keyed permutation, so they look random, the same
// size gives the same OpenIDs, and a lookup needs no table: 1 000 000 followers take about a bit
// each) in the 2014 groups 0 未分组, 1 黑名单 (1%), 2 星标组, 100 北京用户, 101 上海用户, 102 老客户
// and 103 测试组 (the first 5 followers, none of whom refuses). About 3% of the others refuse
// mass messages. groups/get, tags/get and user/tag/get count and list current followers.
//
// Followers come and go: Config.Growth new followers a minute (by Config.Now; -growth N in `qunfa
// sandbox`, QUNFA_SANDBOX_GROWTH in the embedded one), Subscribe(n) and Unsubscribe(openIDs...) in
// process, or the HTTP controls below. Each new follower joins the end of user/get's order in a
// group drawn like the others'; each arrival and departure pushes a subscribe or unsubscribe event
// (§13: ToUserName the gh_ id, FromUserName the OpenID, CreateTime, MsgType event, Event
// subscribe/unsubscribe, an empty EventKey) to the callback URL exactly as MASSSENDJOBFINISH is
// pushed (sealed, secure mode with EncodingAESKey, JSON with PushJSON, the same retries). First
// attempts go out one at a time in the order of events; one the receiver does not acknowledge is
// retried on the side, so it does not hold up the followers queued after it.
//
// # Controls (tests and demos)
//
// On the sandbox's own address, not under /cgi-bin, without access_token:
//
//	POST /sandbox/subscribe?n=N          → {"openids":[…]}: N new followers now (1–100000, default 1)
//	POST /sandbox/unsubscribe?openid=ID  → {"openids":[…]}: they leave now (openid repeatable);
//	                                       any that is not a current follower → nobody leaves
//	GET  /sandbox/followers              → {"total":N}: current followers
//
// Faults, for tests that starve or kill a client at a chosen step (faults.go):
//
//	POST /sandbox/hold?api=message/mass/send&phase=before|after → {"api","state"}: the next call on
//	                                       api waits, before it is processed or (after) once accepted
//	                                       with its answer withheld, until released or its client goes
//	GET  /sandbox/hold?api=…             → {"api","state"}: armed, held, released, answered, dropped
//	POST /sandbox/release?api=…          → {"api","state"}: the held call goes on
//	POST /sandbox/fail?api=…&errcode=N   → the next n (&n=K, default 1) calls answer errcode N;
//	     …&status=502                      or a bare HTTP status, doing nothing
//	GET  /sandbox/jobs                   → [{"msg_id","clientmsgid","status","finished",…}]: every
//	                                       mass job accepted, to count them per clientmsgid
//
// A bad request answers HTTP 400 {"error":"…"}, a wrong method 405.
//
// Delivery and counts: a job's outcome is decided when it is accepted (WeChat snapshots the
// audience) and counted in the Beijing month of that moment:
//   - TotalCount: every follower in the audience (everyone, the group, or the OpenID list);
//   - ErrorCount: blacklisted followers (黑名单, group 1), who never receive a mass message
//     whether it goes to everyone, a group or an OpenID list (that WeChat skips them is
//     UNCONFIRMED, §14; they count as refusers do), the others who refuse mass messages,
//     followers who already received MonthlyCap mass messages this month (the 5th in a month
//     is not delivered and counts as an error), and listed OpenIDs of followers who have left
//     (accepted, not delivered; UNCONFIRMED);
//   - SentCount: the rest; each now has one more message this month.
//
// So FilterCount = SentCount + ErrorCount = TotalCount (0 after a failed review). Status is "send success" when anyone
// received it, else "send fail".
//
// Callback: FinishDelay after submission the job finishes (mass/get answers SEND_SUCCESS or
// SEND_FAIL) and, when a callback URL is set, a MASSSENDJOBFINISH event (ToUserName the gh_
// original id, FromUserName the mass-send assistant, MsgID, the counts, CopyrightCheckResult
// CheckState 1, ArticleUrlResult with one URL per article) is sealed with wechat.Codec (Token,
// AppID, EncodingAESKey; secure mode when EncodingAESKey is set) and POSTed as text/xml with
// the signature query on the URL; with PushJSON, in the JSON data format instead (numbers as
// strings, empty ResultList null, {"ToUserName","Encrypt"} envelope, application/json). An answer other than an empty 200 or "success", an error or
// no answer within PushTimeout (5 s) is retried three more times, PushRetryGap (5 s) apart,
// with the identical body and query (§4.7). Close stops pending finishes and retries and waits
// for pushes in flight.
//
// # Failure injection (test hooks)
//
//   - FailNext(path, errcode): the next call answers errcode before any other check (no quota).
//   - FailNextAfterAccept(path, errcode): the next call is accepted, then answers errcode.
//   - ExpireTokens: every issued token answers 42001 from now on.
//   - SetLatency(path, d): every call on path ("" = all) waits d first (through Config.Sleep;
//     it ends early when the client gives up).
//   - HangNext(path): the next call hangs unprocessed until the client's deadline or Close.
//   - HangNextAfterAccept(path): the next call is accepted, then hangs: the lost answer that
//     clientmsgid and 45065 exist for.
//   - FailReviewNext(N): the next accepted job fails review: Status "err(N)", every count 0,
//     no article URLs (CheckState 3 for 30001–30003), mass/get SEND_FAIL, nothing delivered.
//   - DuplicateNextCallback: the next acknowledged callback is delivered a second time, identical.
//   - A receiver that does not answer "success" (or an empty 200) within PushTimeout sees the
//     three retries described above.
//
// Inspection: Calls, FinishPending, Job, News, ImageURL, Previews, Received, QuotaLeft, Groups,
// OpenIDs, Refuses, OriginalID, Followers.
package sandbox
