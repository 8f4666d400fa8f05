package wechat

import (
	"slices"
	"strconv"

	"qunfa/wechat/protocol"
)

// IsTokenError reports whether code means the access_token must be refetched
// (40001, 40014, 42001). 48001 is deliberately not one of them.
func IsTokenError(code int) bool {
	return code == protocol.CodeInvalidCredential || code == protocol.CodeInvalidToken || code == protocol.CodeTokenExpired
}

// knownErrcodes are the errcodes of protocol §1.1 and §9 that the catalogue explains
// (views/i18n/errcodes.go: errcode.<N> and errcode.<N>.action). Sorted.
var knownErrcodes = []int{
	-1, 0,
	40001, 40002, 40003, 40004, 40005, 40006, 40007, 40008, 40009, 40013, 40014, 40031, 40032,
	40050, 40059, 40060, 40125, 40130, 40164, 40243,
	41001, 41005, 41006, 42001, 42010, 43004, 44002, 44003,
	45001, 45002, 45004, 45008, 45009, 45011, 45016, 45017, 45018, 45027, 45028, 45047,
	45056, 45057, 45058, 45059, 45065, 45066, 45067, 45083, 45084, 45157, 45158, 45159,
	46004, 47001, 48001, 48003, 48004, 48008, 50001, 50002, 61004,
	76021, 76022, 89503, 89504, 89505, 89506, 9500002,
}

// KnownErrcodes returns the errcodes the catalogue explains, sorted.
func KnownErrcodes() []int { return slices.Clone(knownErrcodes) }

// ErrcodeKey names code's explanation in the catalogue: "errcode.<N>" (its remedy is the key
// plus ".action"), or "errcode.unknown" with the number as the value of its verb.
func ErrcodeKey(code int) (key string, args []any) {
	if _, ok := slices.BinarySearch(knownErrcodes, code); ok {
		return "errcode." + strconv.Itoa(code), nil
	}
	return "errcode.unknown", []any{code}
}
