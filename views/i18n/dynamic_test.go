package i18n

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"qunfa/wechat"
)

// sendStates enumerates the constants of type models.SendState from the models source, so a
// state added there without its words fails TestDynamicKeysInBothLanguages.
func sendStates(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join("..", "..", "models", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var states []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "SendState" {
					continue
				}
				for _, v := range vs.Values {
					if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						s, _ := strconv.Unquote(lit.Value)
						states = append(states, s)
					}
				}
			}
		}
	}
	if len(states) < 7 {
		t.Fatalf("found only the send states %v in models; is the scan broken?", states)
	}
	return states
}

// dynamicKeys are the keys built at run time: state.<send state>, errcode.<N> and its
// .action for every code package wechat knows, and every status.* wechat.StatusKey returns.
func dynamicKeys(t *testing.T) []string {
	var keys []string
	for _, s := range sendStates(t) {
		keys = append(keys, "state."+s)
	}
	for _, code := range append(wechat.KnownErrcodes(), 123456) { // an unknown code too
		k, _ := wechat.ErrcodeKey(code)
		keys = append(keys, k, k+".action")
	}
	return append(keys, wechat.StatusKeys()...)
}

func TestDynamicKeysInBothLanguages(t *testing.T) {
	keys := dynamicKeys(t)
	if len(keys) < 150 {
		t.Fatalf("only %d dynamic keys", len(keys))
	}
	for _, key := range keys {
		for _, lang := range Languages {
			if v, ok := catalogue[lang][key]; !ok || strings.TrimSpace(v) == "" {
				t.Errorf("%s lacks the dynamic key %q", lang, key)
			}
		}
	}
}

// What the explanations say (moved here from package wechat with the words).
func TestErrcodeWords(t *testing.T) {
	for _, lang := range Languages {
		k, args := wechat.ErrcodeKey(123456)
		if what, do := T(lang, k, args...), T(lang, k+".action", args...); !strings.Contains(what, "123456") || !strings.Contains(do, "123456") {
			t.Errorf("%s: unknown code explained as %q / %q", lang, what, do)
		}
	}
	// The operator is told to try tomorrow after a 45009.
	if got := T("zh", "errcode.45009.action"); !strings.Contains(got, "明天") {
		t.Errorf("45009 should tell the operator to try tomorrow: %q", got)
	}
	if got := T("zh", "errcode.48001"); !strings.Contains(got, "未授权") {
		t.Errorf("48001 explained as %q", got)
	}
}

func TestStatusWords(t *testing.T) {
	tests := []struct{ status, zh, en string }{
		{"send success", "发送成功", "sent"},
		{"sendsuccess", "发送成功", "sent"},
		{"SEND_SUCCESS", "发送成功", "sent"},
		{"send fail", "发送失败", "send failed"},
		{"err(10001)", "涉嫌广告", "advertising"},
		{"err(10001)", "审核未通过", "rejected by review"},
		{"err(20001)", "政治", "political"},
		{"err(20004)", "社会", "social"},
		{"err(20002)", "色情", "pornography"},
		{"err(20006)", "违法犯罪", "crime"},
		{"err(20008)", "欺诈", "fraud"},
		{"err(20013)", "版权", "copyright"},
		{"err(22000)", "互推", "mutual promotion"},
		{"err(21000)", "其他", "other"},
		{"err(30001)", "系统错误", "system error"},
		{"err(30002)", "不允许群发", "not allowed"},
		{"err(30003)", "转载", "reprint"},
		{"err(40001)", "管理员拒绝", "rejected"},
		{"err(40002)", "30 分钟", "30 minutes"},
		{"err(20431)", "20431", "20431"},
		{"err(12345)", "12345", "12345"},
		{"weird", "weird", "weird"},
	}
	for _, tt := range tests {
		key, args := wechat.StatusKey(tt.status)
		zh, en := T("zh", key, args...), T("en", key, args...)
		if !strings.Contains(zh, tt.zh) || !strings.Contains(en, tt.en) {
			t.Errorf("status %q (%s) = %q, %q", tt.status, key, zh, en)
		}
	}
}
