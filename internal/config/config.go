// Package config reads the server's configuration file: one YAML document
// whose settings are the flags of watchfloor serve, grouped (oidc,
// backups, retention). Each setting names its flag and its environment
// variable; the command line applies them in the order flag > environment
// > file > default. Secrets are never written in the file: a setting
// ending in _file names a file that holds the value.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Setting is one key of the file.
type Setting struct {
	Key  string // dotted path in the file: "oidc.issuer"
	Flag string // the serve flag it sets: "oidc-issuer"
	Env  string // the environment variable that overrides it
	// List settings take a sequence (or, for Map, a mapping of KEY: VALUE
	// pairs, given to the flag as KEY=VALUE).
	List, Map bool
	// File is set on a secret read from a file: the file's content
	// (trimmed) is the value of Flag.
	File bool
	Help string
}

// Settings are the keys of the file, in the order they are documented.
var Settings = []Setting{
	{Key: "listen", Flag: "listen", Help: "address to listen on"},
	{Key: "database", Flag: "db", Help: "SQLite file path or postgres:// URL"},
	{Key: "database_file", Flag: "db", File: true, Help: "file holding the database URL (a postgres:// URL with its password)"},
	{Key: "log_level", Flag: "log-level", Help: "debug, info, warn or error"},
	{Key: "secure_cookies", Flag: "secure-cookies", Help: "mark cookies Secure (served over HTTPS)"},
	{Key: "trust_proxy", Flag: "trust-proxy", Help: "take the client address from X-Forwarded-For"},
	{Key: "poll", Flag: "poll", Help: "how often to look for other processes' writes"},
	{Key: "shutdown_timeout", Flag: "shutdown-timeout", Help: "how long requests may finish on SIGTERM"},
	{Key: "plan_config", Flag: "plan-config", Help: "YAML file with the staffing, budget, crisis, notify and report settings"},
	{Key: "kiosk_rotate", Flag: "kiosk-rotate", Help: "time per page of the wall screen"},
	{Key: "feed_check", Flag: "feed-check", Help: "how often to look for intelligence feeds due"},
	{Key: "mcp_allow_writes", Flag: "mcp-allow-writes", Help: "enable the MCP write tools at /mcp"},
	{Key: "demo", Flag: "demo", Help: "fill an empty store with the demo SOC"},
	{Key: "demo_live", Flag: "demo-live", Help: "keep the demo running in real time"},
	{Key: "oidc.issuer", Flag: "oidc-issuer", Help: "OpenID Connect issuer URL"},
	{Key: "oidc.client_id", Flag: "oidc-client-id", Help: "client id"},
	{Key: "oidc.client_secret_file", Flag: "oidc-client-secret-file", Help: "file holding the client secret"},
	{Key: "oidc.redirect_url", Flag: "oidc-redirect-url", Help: "https://HOST/auth/oidc/callback"},
	{Key: "oidc.roles_claim", Flag: "oidc-roles-claim", Help: "ID token claim with the groups"},
	{Key: "oidc.roles", Flag: "oidc-role", Map: true, Help: "group: role pairs"},
	{Key: "oidc.default_role", Flag: "oidc-default-role", Help: "role of users with no mapped group"},
	{Key: "oidc.name", Flag: "oidc-name", Help: "label of the sign-in button"},
	{Key: "backups.dir", Flag: "backup-dir", Help: "folder of scheduled SQLite backups"},
	{Key: "backups.every", Flag: "backup-every", Help: "time between backups"},
	{Key: "backups.keep", Flag: "backup-keep", Help: "backups kept"},
	{Key: "retention.raw_payloads", Flag: "retain-raw-payloads", Help: "keep raw source payloads this long (90d)"},
	{Key: "retention.alerts", Flag: "retain-alerts", Help: "keep alerts of no case this long (400d)"},
	{Key: "retention.case_logs", Flag: "retain-case-logs", Help: "keep closed cases' logs this long (730d)"},
	{Key: "retention.every", Flag: "retention-every", Help: "time between retention runs"},
}

func init() {
	for i := range Settings {
		s := &Settings[i]
		name := s.Flag
		if s.File {
			name += "-file"
		}
		s.Env = "WATCHFLOOR_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
	}
}

// Lookup finds a setting by its key.
func Lookup(key string) (Setting, bool) {
	for _, s := range Settings {
		if s.Key == key {
			return s, true
		}
	}
	return Setting{}, false
}

// Value is one setting given in a file, with the line it is on.
type Value struct {
	Setting Setting
	Line    int
	// Values holds the value (one for a scalar, one per item of a list,
	// KEY=VALUE per pair of a map). For a File setting it is the file's
	// content, read and trimmed.
	Values []string
}

// File is a parsed configuration file.
type File struct {
	Path   string
	Values []Value
}

// LineError is a problem at a line of the file.
type LineError struct {
	Path string
	Line int
	Msg  string
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg) }

// Load reads and checks a file: YAML syntax, known keys, the shape of
// each value, secret files that can be read. Every problem is reported
// with its line; all of them are returned together (errors.Join of
// *LineError).
func Load(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the configuration: %w", err)
	}
	return Parse(path, b)
}

// Parse checks a file's content as Load does.
func Parse(path string, b []byte) (*File, error) {
	f := &File{Path: path}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&doc); err != nil {
		if err.Error() == "EOF" {
			return f, nil // an empty file sets nothing
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var errs []error
	add := func(line int, format string, args ...any) {
		errs = append(errs, &LineError{Path: path, Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		add(root.Line, "the configuration is a mapping of settings (listen: …, database: …)")
		return nil, errors.Join(errs...)
	}
	seen := map[string]int{}
	var walk func(prefix string, m *yaml.Node)
	walk = func(prefix string, m *yaml.Node) {
		for i := 0; i+1 < len(m.Content); i += 2 {
			k, v := m.Content[i], m.Content[i+1]
			key := prefix + k.Value
			s, ok := Lookup(key)
			if !ok {
				if v.Kind == yaml.MappingNode && isGroup(key) {
					walk(key+".", v)
					continue
				}
				add(k.Line, "unknown setting %q%s", key, suggest(key))
				continue
			}
			if l, dup := seen[s.Flag]; dup {
				add(k.Line, "%s sets what line %d already set", key, l)
				continue
			}
			seen[s.Flag] = k.Line
			val := Value{Setting: s, Line: k.Line}
			switch {
			case s.Map && v.Kind == yaml.MappingNode:
				for j := 0; j+1 < len(v.Content); j += 2 {
					pk, pv := v.Content[j], v.Content[j+1]
					if pk.Kind != yaml.ScalarNode || pv.Kind != yaml.ScalarNode || pk.Value == "" || pv.Value == "" {
						add(pk.Line, "%s: want GROUP: ROLE pairs", key)
						continue
					}
					val.Values = append(val.Values, pk.Value+"="+pv.Value)
				}
			case (s.Map || s.List) && v.Kind == yaml.SequenceNode:
				for _, item := range v.Content {
					if item.Kind != yaml.ScalarNode {
						add(item.Line, "%s: want a list of values", key)
						continue
					}
					val.Values = append(val.Values, item.Value)
				}
			case v.Kind == yaml.ScalarNode && !s.Map && !s.List:
				if v.Tag == "!!null" {
					add(v.Line, "%s has no value", key)
					continue
				}
				val.Values = []string{v.Value}
			default:
				add(v.Line, "%s: want %s", key, shape(s))
				continue
			}
			if s.File {
				body, err := os.ReadFile(val.Values[0])
				if err != nil {
					add(v.Line, "%s: %v", key, err)
					continue
				}
				val.Values = []string{strings.TrimSpace(string(body))}
			}
			f.Values = append(f.Values, val)
		}
	}
	walk("", root)
	return f, errors.Join(errs...)
}

func shape(s Setting) string {
	switch {
	case s.Map:
		return "a mapping of GROUP: ROLE pairs"
	case s.List:
		return "a list"
	}
	return "a single value"
}

// isGroup reports whether key is a section of the file (oidc, backups …).
func isGroup(key string) bool {
	for _, s := range Settings {
		if strings.HasPrefix(s.Key, key+".") {
			return true
		}
	}
	return false
}

// suggest names the known key closest to an unknown one.
func suggest(key string) string {
	best, bestD := "", 4
	for _, s := range Settings {
		if d := distance(key, s.Key); d < bestD {
			best, bestD = s.Key, d
		}
	}
	if best == "" {
		keys := make([]string, 0, len(Settings))
		for _, s := range Settings {
			keys = append(keys, s.Key)
		}
		sort.Strings(keys)
		return " (known: " + strings.Join(keys, ", ") + ")"
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// distance is the Levenshtein distance of two short strings.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
