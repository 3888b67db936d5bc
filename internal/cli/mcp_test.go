package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
)

// TestMCPStdio drives `watchfloor mcp` over its stdin and stdout with raw
// JSON-RPC: initialize, list the tools, call list_cases, try a write.
func TestMCPStdio(t *testing.T) {
	db := filepath.Join(t.TempDir(), "w.db")
	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	if _, err := st.Apply(ctx, &store.Batch{Cases: []model.Case{{Source: "fx", ExternalID: "C-1", Title: "Hello\x1b]0;pwned\x07",
		Priority: model.P2, CreatedAt: created, UpdatedAt: created}}}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	a := &app{db: db, stdin: inR, stdout: outW, stderr: io.Discard, log: slog.New(slog.DiscardHandler)}
	cmd := a.mcpCommand()
	cmd.SetArgs(nil)
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx); outW.Close() }()

	lines := bufio.NewScanner(outR)
	lines.Buffer(nil, 1<<22)
	send := func(msg string) {
		if _, err := io.WriteString(inW, msg+"\n"); err != nil {
			t.Fatal(err)
		}
	}
	recv := func() map[string]any {
		if !lines.Scan() {
			t.Fatalf("no response: %v", lines.Err())
		}
		var m map[string]any
		if err := json.Unmarshal(lines.Bytes(), &m); err != nil {
			t.Fatalf("response %s: %v", lines.Bytes(), err)
		}
		return m
	}
	send(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
	init := recv()
	if info := init["result"].(map[string]any)["serverInfo"].(map[string]any); info["name"] != "watchfloor" {
		t.Fatalf("initialize = %v", init)
	}
	send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	send(`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)
	tools := recv()["result"].(map[string]any)["tools"].([]any)
	if len(tools) != 31 {
		t.Fatalf("%d tools on a read-only server, want 31", len(tools))
	}
	send(`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"list_cases","arguments":{"status":"open"}}}`)
	res := recv()["result"].(map[string]any)
	sc := res["structuredContent"].(map[string]any)
	c := sc["cases"].([]any)[0].(map[string]any)
	title := c["title"].(map[string]any)
	if sc["total"] != 1.0 || c["external_id"].(map[string]any)["text"] != "C-1" || title["untrusted"] != true || title["text"] != `Hello\x1b]0;pwned\x07` {
		t.Fatalf("list_cases = %v", sc)
	}
	send(`{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"close_case","arguments":{"case_id":"fx/C-1"}}}`)
	if m := recv(); m["error"] == nil || !strings.Contains(m["error"].(map[string]any)["message"].(string), "unknown tool") {
		t.Fatalf("close_case on a read-only server = %v", m)
	}
	// A line that is not JSON is answered with a parse error (−32700) and
	// the session goes on; so is an unknown method (−32601).
	for _, bad := range []string{`{"jsonrpc":"2.0","id":5,"method":"ping"`, "hello", `{"jsonrpc":"2.0","id":6}}`} {
		send(bad)
		m := recv()
		if e, _ := m["error"].(map[string]any); e == nil || e["code"] != -32700.0 || m["id"] != nil {
			t.Fatalf("malformed line %q answered %v", bad, m)
		}
	}
	send(`{"jsonrpc":"2.0","id":7,"method":"no/such"}`)
	if m := recv(); m["error"].(map[string]any)["code"] != -32601.0 {
		t.Fatalf("unknown method = %v", m)
	}
	send(`{"jsonrpc":"2.0","id":8,"method":"ping"}`)
	if m := recv(); m["id"] != 8.0 || m["error"] != nil {
		t.Fatalf("ping after malformed lines = %v", m)
	}
	inW.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("mcp ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("mcp did not end when stdin closed")
	}
}

func TestMCPListenNeedsTokens(t *testing.T) {
	t.Setenv("WATCHFLOOR_MCP_TOKEN_SHA256", "")
	a := &app{db: filepath.Join(t.TempDir(), "w.db"), stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard,
		log: slog.New(slog.DiscardHandler)}
	cmd := a.mcpCommand()
	cmd.SetArgs([]string{"--listen", "127.0.0.1:0"})
	if err := cmd.ExecuteContext(context.Background()); err == nil || !strings.Contains(err.Error(), "WATCHFLOOR_MCP_TOKEN_SHA256") {
		t.Fatalf("--listen without tokens: %v", err)
	}
	t.Setenv("WATCHFLOOR_MCP_TOKEN_SHA256", "ops:1234")
	cmd = a.mcpCommand()
	cmd.SetArgs([]string{"--listen", "127.0.0.1:0"})
	if err := cmd.ExecuteContext(context.Background()); err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Fatalf("--listen with a bad hash: %v", err)
	}
}
