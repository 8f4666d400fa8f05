package wechat

import (
	"slices"
	"strconv"
	"strings"
)

// auditReasons are the err(N) Status values of MASSSENDJOBFINISH (protocol §5.3): review
// rejections (1xxxx, 2xxxx), originality checks (3xxxx), the administrator's API mass-send
// protection (4xxxx), and 20431, undocumented but reported after failed reviews. Their words
// are the catalogue's status.err.<N>. Sorted.
var auditReasons = []int{10001, 20001, 20002, 20004, 20006, 20008, 20013, 20431, 21000, 22000,
	30001, 30002, 30003, 40001, 40002}

// Catalogue keys of the statuses that are not err(N).
const (
	statusSendSuccess = "status.send_success"
	statusSendFail    = "status.send_fail"
	statusSending     = "status.sending"
	statusDeleted     = "status.deleted"
	statusNone        = "status.none"
	statusErrUnknown  = "status.err_unknown" // %d: the reason code
	statusUnknown     = "status.unknown"     // %s: the status as received
)

// StatusKey names a MASSSENDJOBFINISH Status (or a mass/get msg_status) for the catalogue: the
// key "status.<x>" and the values of its verbs.
func StatusKey(status string) (key string, args []any) {
	s := strings.ToLower(strings.TrimSpace(status))
	switch strings.ReplaceAll(strings.ReplaceAll(s, "_", ""), " ", "") {
	case "sendsuccess":
		return statusSendSuccess, nil
	case "sendfail":
		return statusSendFail, nil
	case "sending":
		return statusSending, nil
	case "delete", "deleted":
		return statusDeleted, nil
	case "":
		return statusNone, nil
	}
	if strings.HasPrefix(s, "err(") && strings.HasSuffix(s, ")") {
		if n, err := strconv.Atoi(strings.TrimSpace(s[4 : len(s)-1])); err == nil {
			if _, ok := slices.BinarySearch(auditReasons, n); ok {
				return "status.err." + strconv.Itoa(n), nil
			}
			return statusErrUnknown, []any{n}
		}
	}
	return statusUnknown, []any{strings.TrimSpace(status)}
}

// StatusKeys lists every key StatusKey can return, for the catalogue's completeness test.
func StatusKeys() []string {
	keys := []string{statusSendSuccess, statusSendFail, statusSending, statusDeleted, statusNone, statusErrUnknown, statusUnknown}
	for _, n := range auditReasons {
		keys = append(keys, "status.err."+strconv.Itoa(n))
	}
	return keys
}
