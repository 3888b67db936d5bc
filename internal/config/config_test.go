package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "db-url")
	os.WriteFile(secret, []byte("postgres://wf:s3cret@db/wf\n"), 0o600)
	good := `# serve's settings
listen: 0.0.0.0:8080
database_file: ` + secret + `
oidc:
  issuer: https://idp.example
  roles:
    soc-admins: admin
    soc-leads: manager
backups:
  dir: /var/lib/watchfloor/backups
  keep: 14
retention:
  raw_payloads: 90d
`
	f, err := Parse("good.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	lines := map[string]int{}
	for _, v := range f.Values {
		got[v.Setting.Key] = v.Values
		lines[v.Setting.Key] = v.Line
	}
	want := map[string][]string{
		"listen": {"0.0.0.0:8080"}, "database_file": {"postgres://wf:s3cret@db/wf"}, "oidc.issuer": {"https://idp.example"},
		"oidc.roles": {"soc-admins=admin", "soc-leads=manager"}, "backups.dir": {"/var/lib/watchfloor/backups"},
		"backups.keep": {"14"}, "retention.raw_payloads": {"90d"},
	}
	for k, w := range want {
		if !slices.Equal(got[k], w) {
			t.Errorf("%s = %q, want %q", k, got[k], w)
		}
	}
	if len(got) != len(want) || lines["oidc.roles"] != 6 || lines["backups.keep"] != 11 {
		t.Errorf("values %v, lines %v", got, lines)
	}

	tests := []struct {
		name, doc string
		want      []string // "line: message part"
	}{
		{"unknown key", "listen: x\nlistn: y\n", []string{`2: unknown setting "listn" (did you mean "listen"?)`}},
		{"unknown in a group", "oidc:\n  isuer: x\n", []string{`2: unknown setting "oidc.isuer" (did you mean "oidc.issuer"?)`}},
		{"twice", "database: a.db\ndatabase_file: /x\n", []string{"2: database_file sets what line 1 already set"}},
		{"list for a scalar", "listen:\n  - a\n", []string{"2: listen: want a single value"}},
		{"scalar for a map", "oidc:\n  roles: admin\n", []string{"2: oidc.roles: want a mapping of GROUP: ROLE pairs"}},
		{"null", "listen:\n", []string{"1: listen has no value"}},
		{"missing secret file", "database_file: /nonexistent/db-url\n", []string{"1: database_file: open /nonexistent/db-url"}},
		{"not a mapping", "- listen\n", []string{"1: the configuration is a mapping"}},
		{"two problems", "listn: x\nbackups:\n  evry: 1h\n", []string{`1: unknown setting "listn"`, `3: unknown setting "backups.evry"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(tc.doc))
			if err == nil {
				t.Fatal("accepted")
			}
			var errs []error
			if j, ok := err.(interface{ Unwrap() []error }); ok {
				errs = j.Unwrap()
			} else {
				errs = []error{err}
			}
			if len(errs) != len(tc.want) {
				t.Fatalf("errors %v, want %d", errs, len(tc.want))
			}
			for i, e := range errs {
				var le *LineError
				if !errors.As(e, &le) || !strings.Contains(e.Error(), "c.yaml:"+tc.want[i]) {
					t.Errorf("error %q, want c.yaml:%s…", e, tc.want[i])
				}
			}
		})
	}
	if _, err := Parse("bad.yaml", []byte("listen: [\n")); err == nil || !strings.Contains(err.Error(), "line") {
		t.Errorf("YAML syntax error: %v", err)
	}
	if f, err := Parse("empty.yaml", nil); err != nil || len(f.Values) != 0 {
		t.Errorf("empty file: %v %v", f, err)
	}
}

func TestSettingsEnv(t *testing.T) {
	want := map[string]string{"database": "WATCHFLOOR_DB", "database_file": "WATCHFLOOR_DB_FILE", "listen": "WATCHFLOOR_LISTEN",
		"oidc.client_secret_file": "WATCHFLOOR_OIDC_CLIENT_SECRET_FILE", "retention.alerts": "WATCHFLOOR_RETAIN_ALERTS"}
	for k, env := range want {
		if s, ok := Lookup(k); !ok || s.Env != env {
			t.Errorf("%s: env %q, want %s", k, s.Env, env)
		}
	}
}

// FuzzParse: any input gives values or line errors, never a panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte("listen: 127.0.0.1:8080\noidc:\n  roles:\n    a: admin\n"))
	f.Add([]byte("backups: {dir: x, keep: 3}\n"))
	f.Add([]byte("- a\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		Parse("f.yaml", b)
	})
}
