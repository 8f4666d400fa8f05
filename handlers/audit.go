package handlers

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gin-gonic/gin"

	"qunfa/models"
)

// audit records what the logged-in operator just did: who, from where (gin's ClientIP, which
// believes X-Forwarded-For only from the trusted proxies the engine is configured with), what
// and to what. detail is short human text and never a secret. A failure to write the entry is
// logged; the operator's action has already happened and is not undone for it.
func (a *app) audit(c *gin.Context, action, target, detail string) {
	a.auditAs(c, operatorOf(c), action, target, detail)
}

// auditAs is audit for an operator not yet in the request (a login), or nobody (ID 0: a failed
// login, Username what they typed).
func (a *app) auditAs(c *gin.Context, op models.Operator, action, target, detail string) {
	e := models.AuditEntry{OperatorID: op.ID, Username: op.Username, ClientAddr: c.ClientIP(),
		Action: action, Target: target, Detail: detail}
	if err := a.svc.Audit(c.Request.Context(), e); err != nil {
		a.log.Error("audit entry not written", "action", action, "target", target, "err", err)
	}
}

// auditTarget names a thing in the log: "send:12".
func auditTarget(kind string, id uint) string { return fmt.Sprintf("%s:%d", kind, id) }

// settingsChanged lists the settings fields whose stored value changed (names only: the
// values of secrets never reach the log).
func settingsChanged(before, after models.Settings) string {
	fields := map[string][2]string{
		"appid":             {before.AppID, after.AppID},
		"appsecret":         {before.AppSecret, after.AppSecret},
		"token":             {before.Token, after.Token},
		"aeskey":            {before.EncodingAESKey, after.EncodingAESKey},
		"max_articles":      {fmt.Sprint(before.MaxArticles), fmt.Sprint(after.MaxArticles)},
		"audience":          {before.Audience, after.Audience},
		"upload_path":       {before.UploadPath, after.UploadPath},
		"sandbox_followers": {fmt.Sprint(before.SandboxFollowers), fmt.Sprint(after.SandboxFollowers)},
	}
	var changed []string
	for name, v := range fields {
		if v[0] != v[1] {
			changed = append(changed, name)
		}
	}
	if len(changed) == 0 {
		return "-"
	}
	sort.Strings(changed)
	return strings.Join(changed, ", ")
}

// auditSendStarted records a send just started, or held for approval (then under its own
// action, naming the one asked for).
func (a *app) auditSendStarted(c *gin.Context, action string, s models.Send, detail string) {
	if s.State == models.StateAwaitingApproval {
		a.audit(c, models.AuditSendAwaiting, auditTarget("send", s.ID), detail+" ("+action+")")
		return
	}
	a.audit(c, action, auditTarget("send", s.ID), detail)
}

// startedFlash is the flash after a send started: on its way, or waiting for approval.
func startedFlash(s models.Send, started string) string {
	if s.State == models.StateAwaitingApproval {
		return "flash.send_awaiting_approval"
	}
	return started
}
