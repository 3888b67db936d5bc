package mcp

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	wfauth "github.com/watchfloor/watchfloor/internal/auth"
)

// TestProtocolVersions: the server offers every revision of the SDK in
// use, and negotiates the newest, 2026-07-28, with a client that asks for
// it over each transport (in memory, stdio, streamable HTTP); a client of
// the session era gets 2025-11-25 or the older revision it asks for.
func TestProtocolVersions(t *testing.T) {
	if got := sdk.SupportedProtocolVersions(); !slices.Equal(got, []string{SessionlessProtocol, "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"}) {
		t.Fatalf("the SDK offers %v: update SessionlessProtocol, the README and this test", got)
	}
	st := fixture(t)
	ctx := context.Background()
	client := func() *sdk.Client { return sdk.NewClient(&sdk.Implementation{Name: "t", Version: "1"}, nil) }
	check := func(name string, cs *sdk.ClientSession, want string) {
		t.Helper()
		if v := cs.InitializeResult().ProtocolVersion; v != want {
			t.Errorf("%s: negotiated %s, want %s", name, v, want)
		}
		// The caller's role and the tools work at that version.
		if tools, err := cs.ListTools(ctx, nil); err != nil || len(tools.Tools) == 0 {
			t.Errorf("%s: tools/list: %v", name, err)
		}
		if res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "get_soc_dashboard"}); err != nil || res.IsError {
			t.Errorf("%s: get_soc_dashboard: %v", name, err)
		}
	}

	check("in memory", connect(t, Options{Store: st}), SessionlessProtocol)

	srv, err := NewServer(Options{Store: st, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); srv.Run(sctx, StdioTransport(inR, outW)) }()
	t.Cleanup(func() { inW.Close(); cancel(); <-done })
	cs, err := client().Connect(ctx, &sdk.IOTransport{Reader: outR, Writer: inW}, nil)
	if err != nil {
		t.Fatal(err)
	}
	check("stdio", cs, SessionlessProtocol)
	cs.Close()

	v, err := ParseSHA256Tokens("ops:"+sha256hex("tok"), wfauth.Analyst)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(HTTPHandler(srv, v, nil))
	defer hs.Close()
	for _, tc := range []struct{ ask, want string }{
		{"", SessionlessProtocol}, {"2025-11-25", "2025-11-25"}, {"2025-06-18", "2025-06-18"}, {"2024-11-05", "2024-11-05"},
	} {
		cs, err := client().Connect(ctx, &sdk.StreamableClientTransport{Endpoint: hs.URL, DisableStandaloneSSE: true,
			HTTPClient: &http.Client{Transport: bearer{"tok", http.DefaultTransport}}}, &sdk.ClientSessionOptions{ProtocolVersion: tc.ask})
		if err != nil {
			t.Fatalf("HTTP asking %q: %v", tc.ask, err)
		}
		check("HTTP asking "+tc.ask, cs, tc.want)
		// The bearer token's role holds at every version.
		res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "plan_staffing"})
		if err != nil || !res.IsError || text(res) != "your role (analyst) may not use plan_staffing" {
			t.Errorf("HTTP asking %q: plan_staffing as an analyst: %v %v", tc.ask, err, res)
		}
		cs.Close()
	}
}
