package wechat

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
)

func TestUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := NewClient(Config{BaseURL: "http://" + addr, AppID: "wx0123456789abcdef", AppSecret: "0123456789abcdef0123456789abcdef", MaxRetries: -1})
	_, refused := c.Groups(context.Background())
	// A secret that happens to occur in the error's text gets the text flattened; it still says
	// what kind of failure it was.
	short := NewClient(Config{BaseURL: "http://" + addr, AppID: "wx0123456789abcdef", AppSecret: "s", MaxRetries: -1})
	_, flattened := short.Groups(context.Background())

	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	_, gaveUp := c.Groups(canceled)

	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"connection refused", refused, true},
		{"flattened by redaction", flattened, true},
		{"wrapped again", fmt.Errorf("models: fetch groups: %w", refused), true},
		{"an errcode is an answer", &Error{Code: 45009}, false},
		{"the caller gave up", gaveUp, false},
		{"not a transport error", errors.New("disk full"), false},
		{"nil", nil, false},
	}
	for _, tt := range tests {
		if got := Unreachable(tt.err); got != tt.want {
			t.Errorf("%s: Unreachable(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}
