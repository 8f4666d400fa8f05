package protocol

// Errcodes of openapi/quota/get (§7, §16): the account keeps no quota for that cgi_path (or does
// not answer for it), and the token may not ask about it. Either way Qunfa keeps its own count.
const (
	CodeQuotaPathNotFound = 76021
	CodeQuotaNoPermission = 76022
)
