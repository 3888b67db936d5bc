package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/store"
)

// runWith executes the command line with the users and serve commands
// (added here until the root command lists them).
func runWith(ctx context.Context, db string, stdin io.Reader, stdout, stderr io.Writer, args ...string) error {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	root := a.rootCommand()
	for _, c := range []*cobra.Command{a.usersCommand(), a.serveCommand()} {
		if found, _, err := root.Find([]string{c.Name()}); err != nil || found == root {
			root.AddCommand(c)
		}
	}
	root.SetArgs(append([]string{"--db", db}, args...))
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	return root.ExecuteContext(ctx)
}

func runUsers(t *testing.T, db, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := runWith(context.Background(), db, strings.NewReader(stdin), &out, &errb, args...)
	return out.String(), errb.String(), err
}

func TestUsersCommands(t *testing.T) {
	t.Setenv(PasswordEnv, "")
	db := filepath.Join(t.TempDir(), "wf.db")
	// An empty password never makes a token-only account by accident.
	if _, _, err := runUsers(t, db, "", "users", "add", "alice", "--role", "admin"); err == nil || !strings.Contains(err.Error(), "empty password") {
		t.Fatalf("empty password: %v", err)
	}
	t.Setenv(PasswordEnv, "short")
	if _, _, err := runUsers(t, db, "", "users", "add", "alice", "--role", "admin"); err == nil || !strings.Contains(err.Error(), "at least 12 characters") {
		t.Fatalf("short password: %v", err)
	}
	t.Setenv(PasswordEnv, "from the environment")
	if out, _, err := runUsers(t, db, "", "users", "add", "alice", "--role", "admin"); err != nil || out != "created alice (admin)\n" {
		t.Fatalf("add alice: %q %v", out, err)
	}
	if _, _, err := runUsers(t, db, "", "users", "add", "alice", "--role", "viewer"); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("duplicate: %v", err)
	}
	if _, _, err := runUsers(t, db, "", "users", "add", "bob", "--role", "root"); err == nil || !strings.Contains(err.Error(), "unknown role") {
		t.Fatalf("bad role: %v", err)
	}
	if out, _, err := runUsers(t, db, "", "users", "add", "siem", "--role", "ingest", "--no-password"); err != nil || out != "created siem (ingest)\n" {
		t.Fatalf("add siem: %q %v", out, err)
	}
	out, errOut, err := runUsers(t, db, "", "users", "token", "siem", "--name", "pipeline", "--ttl", "30d")
	if err != nil || !strings.HasPrefix(out, "wfat_") || len(strings.TrimSpace(out)) != 48 || !strings.Contains(errOut, "expires") {
		t.Fatalf("token: %q %q %v", out, errOut, err)
	}
	if _, _, err := runUsers(t, db, "", "users", "token", "siem", "--ttl", "soon"); err == nil {
		t.Fatal("a bad --ttl was accepted")
	}
	if out, _, err = runUsers(t, db, "", "users", "list", "-o", "csv"); err != nil || !strings.Contains(out, "alice,admin,true,,false,") || !strings.Contains(out, "siem,ingest,false,,false,") {
		t.Fatalf("list: %q %v", out, err)
	}
	if out, _, err = runUsers(t, db, "", "users", "disable", "alice"); err != nil || out != "alice disabled\n" {
		t.Fatalf("disable: %q %v", out, err)
	}
	if out, _, err = runUsers(t, db, "", "users", "revoke", "1"); err != nil || !strings.HasPrefix(out, "token 1 revoked") {
		t.Fatalf("revoke: %q %v", out, err)
	}
	if _, _, err = runUsers(t, db, "", "users", "revoke", "1"); err == nil {
		t.Fatal("revoking twice succeeded")
	}

	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, _ := st.UserByName(ctx, "alice")
	if !u.Disabled || !strings.HasPrefix(u.PasswordHash, "$2a$") {
		t.Fatalf("alice %+v", u)
	}
	audit, _ := st.AuditEntries(ctx, store.AuditFilter{})
	var actions []string
	for _, e := range audit {
		actions = append(actions, e.Action+" "+e.Target)
	}
	if got := strings.Join(actions, ", "); got != "users revoke token:1, users disable user:alice, users token user:siem, users add user:siem, users add user:alice" {
		t.Fatalf("audit: %s", got)
	}
}

func TestUsersPasswordFromStdin(t *testing.T) {
	db := filepath.Join(t.TempDir(), "wf.db")
	unsetenv(t, PasswordEnv)
	if out, errOut, err := runUsers(t, db, "typed on standard input\n", "users", "add", "carol", "--role", "analyst"); err != nil || out != "created carol (analyst)\n" || !strings.Contains(errOut, "password (read from standard input") {
		t.Fatalf("add: %q %q %v", out, errOut, err)
	}
}

func TestServeGracefulShutdown(t *testing.T) {
	db := filepath.Join(t.TempDir(), "wf.db")
	t.Setenv(PasswordEnv, "a long enough password")
	if _, _, err := runUsers(t, db, "", "users", "add", "ops", "--role", "viewer"); err != nil {
		t.Fatal(err)
	}
	token, _, err := runUsers(t, db, "", "users", "token", "ops", "--ttl", "0")
	if err != nil {
		t.Fatal(err)
	}
	token = strings.TrimSpace(token)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var errb bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- runWith(ctx, db, strings.NewReader(""), pw, &errb, "serve", "--listen", "127.0.0.1:0", "--poll", "-1s")
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the serving line: %v (stderr %s)", err, errb.String())
	}
	go io.Copy(io.Discard, pr)
	base := strings.TrimSpace(strings.TrimPrefix(line, "watchfloor serving on "))
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("serving line %q", line)
	}
	resp, err := http.Get(base + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	req, _ := http.NewRequest("GET", base+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var me struct{ Name, Role string }
	json.NewDecoder(resp.Body).Decode(&me)
	resp.Body.Close()
	if me.Name != "ops" || me.Role != "viewer" {
		t.Fatalf("me %+v", me)
	}
	// An open live stream must not hold up the shutdown.
	req, _ = http.NewRequest("GET", base+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	stream, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop within 10 s of the signal")
	}
	log := errb.String()
	if strings.Contains(log, "no accounts yet") || !strings.Contains(log, "shutting down") || !strings.Contains(log, "stopped") ||
		!strings.Contains(log, `msg="http request" method=GET path=/api/v1/me route="GET /api/v1/me" status=200`) || !strings.Contains(log, "user=ops") {
		t.Fatalf("log:\n%s", log)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("still serving after shutdown")
	}
}

// unsetenv removes a variable for the test's duration.
func unsetenv(t *testing.T, key string) {
	t.Helper()
	t.Setenv(key, "") // restores the old value at the end
	os.Unsetenv(key)
}

func TestDemoAdmin(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "wf.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pw, err := demoAdmin(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if len(pw) != 20 {
		t.Fatalf("password %q", pw)
	}
	if _, _, err := (&auth.Service{Store: st}).Login(ctx, "admin", pw, "127.0.0.1"); err != nil {
		t.Fatalf("signing in with the demo password: %v", err)
	}
	if _, err := demoAdmin(ctx, st); err == nil {
		t.Fatal("a second demo admin was created")
	}
}
