package mcp

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	wfauth "github.com/watchfloor/watchfloor/internal/auth"
)

// rawSession serves a server on StdioTransport and exchanges raw lines.
type rawSession struct {
	t    *testing.T
	in   *io.PipeWriter
	out  *bufio.Scanner
	seen []map[string]any
}

func newRawSession(t *testing.T, opts Options) *rawSession {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return now }
	}
	srv, err := NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Run(ctx, StdioTransport(inR, outW))
	}()
	t.Cleanup(func() { inW.Close(); cancel(); <-done })
	sc := bufio.NewScanner(outR)
	sc.Buffer(make([]byte, 1<<20), 8<<20)
	return &rawSession{t: t, in: inW, out: sc}
}

// ask sends a line and returns the next message the server writes.
func (r *rawSession) ask(line string) map[string]any {
	r.t.Helper()
	if _, err := io.WriteString(r.in, line+"\n"); err != nil {
		r.t.Fatal(err)
	}
	if !r.out.Scan() {
		r.t.Fatalf("no answer to %s: %v", line, r.out.Err())
	}
	var m map[string]any
	if err := json.Unmarshal(r.out.Bytes(), &m); err != nil {
		r.t.Fatalf("answer %s: %v", r.out.Bytes(), err)
	}
	r.seen = append(r.seen, m)
	return m
}

func (r *rawSession) notify(line string) {
	if _, err := io.WriteString(r.in, line+"\n"); err != nil {
		r.t.Fatal(err)
	}
}

func errCode(m map[string]any) float64 {
	e, _ := m["error"].(map[string]any)
	if e == nil {
		return 1 // no error
	}
	c, _ := e["code"].(float64)
	return c
}

const initLine = `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`

// TestErrorCodes: every failure gets the JSON-RPC code the protocol gives
// it, never 0; a tool that ran and failed answers isError.
func TestErrorCodes(t *testing.T) {
	st := fixture(t)
	r := newRawSession(t, Options{Store: st, Role: wfauth.Viewer})
	for _, tc := range []struct {
		name, line string
		code       float64
	}{
		{"request before initialize", `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`, -32600},
		{"initialize without params", `{"jsonrpc":"2.0","id":2,"method":"initialize"}`, -32600},
		{"initialize with unreadable params", `{"jsonrpc":"2.0","id":3,"method":"initialize","params":{"capabilities":7}}`, -32602},
		{"not JSON", `{"jsonrpc":"2.0","id":4,`, -32700},
	} {
		if m := r.ask(tc.line); errCode(m) != tc.code {
			t.Errorf("%s: %v, want code %v", tc.name, m, tc.code)
		}
	}
	if m := r.ask(initLine); m["result"] == nil {
		t.Fatalf("initialize: %v", m)
	}
	r.notify(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	for _, tc := range []struct {
		name, line string
		code       float64
	}{
		{"second initialize", strings.Replace(initLine, `"id":0`, `"id":10`, 1), -32600},
		{"unknown method", `{"jsonrpc":"2.0","id":11,"method":"tools/run"}`, -32601},
		{"unknown tool", `{"jsonrpc":"2.0","id":12,"method":"tools/call","params":{"name":"drop_tables","arguments":{}}}`, -32602},
		{"tools/call params not an object", `{"jsonrpc":"2.0","id":13,"method":"tools/call","params":5}`, -32602},
		{"cursor not issued", `{"jsonrpc":"2.0","id":14,"method":"tools/list","params":{"cursor":"!!"}}`, -32602},
		{"unknown prompt", `{"jsonrpc":"2.0","id":15,"method":"prompts/get","params":{"name":"nope"}}`, -32602},
		{"prompt the role may not use", `{"jsonrpc":"2.0","id":16,"method":"prompts/get","params":{"name":"security_crisis_manage"}}`, -32602},
		{"unknown resource", `{"jsonrpc":"2.0","id":17,"method":"resources/read","params":{"uri":"watchfloor://nope"}}`, -32602},
		{"report history refused to the role", `{"jsonrpc":"2.0","id":18,"method":"resources/read","params":{"uri":"watchfloor://reports"}}`, -32602},
	} {
		if m := r.ask(tc.line); errCode(m) != tc.code {
			t.Errorf("%s: %v, want code %v", tc.name, m, tc.code)
		}
	}
	// Tool execution failures are results with isError and the reason.
	for _, tc := range []struct {
		name, args, want string
	}{
		{"arguments of the wrong type", `{"name":"get_soc_metrics","arguments":{"trend":"yes"}}`, `validating "arguments"`},
		{"unknown argument", `{"name":"get_soc_metrics","arguments":{"windw":"q3"}}`, `unexpected additional properties ["windw"]`},
		{"unknown enum value", `{"name":"get_soc_metrics","arguments":{"timeframe":"yearly"}}`, `enum: yearly does not equal any of`},
		{"out of range", `{"name":"get_soc_dashboard","arguments":{"max_items":51}}`, "invalid argument: max_items 51: at most 50"},
		{"tool the role may not use", `{"name":"list_cases","arguments":{}}`, "your role (viewer) may not use list_cases"},
		{"bad window", `{"name":"get_noisy_rules","arguments":{"from":"2026-03-10","to":"2026-03-01"}}`, "invalid argument: to 2026-03-01 is before from 2026-03-10"},
	} {
		m := r.ask(`{"jsonrpc":"2.0","id":20,"method":"tools/call","params":` + tc.args + `}`)
		res, _ := m["result"].(map[string]any)
		if res == nil || res["isError"] != true {
			t.Errorf("%s: %v, want an isError result", tc.name, m)
			continue
		}
		if txt := res["content"].([]any)[0].(map[string]any)["text"].(string); !strings.Contains(txt, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, txt, tc.want)
		}
	}
	for _, m := range r.seen {
		if errCode(m) == 0 {
			t.Errorf("an answer with code 0: %v", m)
		}
	}
}

// TestHTTPErrorCodes: the same over streamable HTTP, where the SDK answers
// an initialize without parameters before any middleware runs.
func TestHTTPErrorCodes(t *testing.T) {
	srv, err := NewServer(Options{Store: fixture(t)})
	if err != nil {
		t.Fatal(err)
	}
	v, err := ParseSHA256Tokens("ops:"+sha256hex("tok"), wfauth.Analyst)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(HTTPHandler(srv, v, nil))
	defer hs.Close()
	post := func(session, body string) (map[string]any, string, int) {
		req, _ := http.NewRequest(http.MethodPost, hs.URL, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer tok")
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if session != "" {
			req.Header.Set("Mcp-Session-Id", session)
			req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		s := string(b)
		if i := strings.Index(s, "data: "); i >= 0 {
			s = strings.TrimSpace(s[i+len("data: "):])
		}
		var m map[string]any
		json.Unmarshal([]byte(s), &m)
		return m, resp.Header.Get("Mcp-Session-Id"), resp.StatusCode
	}
	// The SDK's HTTP transport refuses requests it cannot dispatch with
	// HTTP 400 before any JSON-RPC answer.
	if m, _, status := post("", `{"jsonrpc":"2.0","id":1,"method":"initialize"}`); status != http.StatusBadRequest || m != nil {
		t.Errorf("initialize without params: %d %v, want 400", status, m)
	}
	m, id, _ := post("", initLine)
	if m["result"] == nil || id == "" {
		t.Fatalf("initialize: %v", m)
	}
	for _, tc := range []struct {
		line string
		code float64
	}{
		{`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"drop_tables","arguments":{}}}`, -32602},
		{`{"jsonrpc":"2.0","id":3,"method":"tools/list","params":{"cursor":"!!"}}`, -32602},
	} {
		if m, _, _ := post(id, tc.line); errCode(m) != tc.code {
			t.Errorf("%s: %v, want %v", tc.line, m, tc.code)
		}
	}
	if m, _, status := post(id, `{"jsonrpc":"2.0","id":4,"method":"tools/run"}`); status != http.StatusBadRequest || m != nil {
		t.Errorf("unknown method: %d %v, want 400", status, m)
	}
}
