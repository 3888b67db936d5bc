package stix

import (
	"reflect"
	"strings"
	"testing"

	"github.com/watchfloor/watchfloor/internal/model"
)

func TestParsePattern(t *testing.T) {
	tests := []struct {
		pattern string
		want    []Comparison
	}{
		{`[ipv4-addr:value = '198.51.100.1']`, []Comparison{{"ipv4-addr", "value", "198.51.100.1", false}}},
		{`[file:hashes.'SHA-256' = 'ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c']`,
			[]Comparison{{"file", "hashes.SHA-256", "ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c", false}}},
		{`[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e' AND file:name = 'a.exe']`,
			[]Comparison{{"file", "hashes.MD5", "d41d8cd98f00b204e9800998ecf8427e", false}, {"file", "name", "a.exe", false}}},
		{`[domain-name:value = 'a.example' OR domain-name:value = 'b.example'] OR [url:value = 'http://c.example/x']`,
			[]Comparison{{"domain-name", "value", "a.example", false}, {"domain-name", "value", "b.example", false}, {"url", "value", "http://c.example/x", false}}},
		{`([ipv4-addr:value = '203.0.113.1'] FOLLOWEDBY [ipv4-addr:value = '203.0.113.2']) WITHIN 300 SECONDS`,
			[]Comparison{{"ipv4-addr", "value", "203.0.113.1", false}, {"ipv4-addr", "value", "203.0.113.2", false}}},
		{`[ipv4-addr:value ISSUBSET '198.51.100.0/24'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'`,
			[]Comparison{{"ipv4-addr", "value", "198.51.100.0/24", true}}},
		{`[email-addr:value IN ('a@x.example', 'b@x.example')] REPEATS 5 TIMES`,
			[]Comparison{{"email-addr", "value", "a@x.example", false}, {"email-addr", "value", "b@x.example", false}}},
		{`[url:value = 'http://x.example/it\'s']`, []Comparison{{"url", "value", "http://x.example/it's", false}}},
		{`[network-traffic:dst_ref.value = '203.0.113.9' AND network-traffic:dst_port = 443]`,
			[]Comparison{{"network-traffic", "dst_ref.value", "203.0.113.9", false}}},
		// Negations and inequalities name no value to match.
		{`[domain-name:value != 'ok.example' AND domain-name:value NOT = 'x.example' AND url:value LIKE '%.php' AND file:size > 10]`, nil},
		{`[process:command_line MATCHES '^powershell' AND EXISTS windows-registry-key:key]`, nil},
		{`[windows-registry-key:values[*].name = 'Run']`, []Comparison{{"windows-registry-key", "values[*].name", "Run", false}}},
	}
	for _, tc := range tests {
		got, err := ParsePattern(tc.pattern)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParsePattern(%s) = %+v, %v; want %+v", tc.pattern, got, err, tc.want)
		}
	}
}

func TestParsePatternErrors(t *testing.T) {
	for pattern, want := range map[string]string{
		`[ipv4-addr:value = '1.2.3.4'`: `expected "]"`,
		`ipv4-addr:value = '1.2.3.4'`:  `expected '[' or '('`,
		`[ipv4-addr:value = '1.2.3.4`:  "unterminated string",
		`[value = '1.2.3.4']`:          "object path",
		`[ipv4-addr:value '1.2.3.4']`:  "unknown operator",
		`[ipv4-addr:value =]`:          "needs a value",
		`[a:b = 'x'] AND`:              "observation expression",
		`[a:b = 'x'] WITHIN 5 MINUTES`: "SECONDS",
		``:                             "observation expression",
		strings.Repeat("(", 100) + "[": "nested too deeply",
	} {
		_, err := ParsePattern(pattern)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParsePattern(%q) error = %v, want one containing %q", pattern, err, want)
		}
	}
}

func TestComparisonObservable(t *testing.T) {
	tests := []struct {
		c    Comparison
		want model.IndicatorObservable
	}{
		{Comparison{"ipv4-addr", "value", "198.51.100.0/24", true}, model.IndicatorObservable{Kind: "cidr", Value: "198.51.100.0/24"}},
		{Comparison{"domain-name", "value", "Evil[.]Example.", false}, model.IndicatorObservable{Kind: "domain", Value: "evil.example"}},
		{Comparison{"file", "hashes.SHA-256", "EF537F25C895BFA782526529A9B63D97AA631564D5D789C2B765448C8635FB6C", false},
			model.IndicatorObservable{Kind: "sha256", Value: "ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c"}},
		{Comparison{"file", "name", "a.exe", false}, model.IndicatorObservable{Kind: "file-name", Value: "a.exe"}},
		{Comparison{"network-traffic", "dst_ref.value", "c2.example", false}, model.IndicatorObservable{Kind: "domain", Value: "c2.example"}},
		{Comparison{"email-message", "from_ref.value", "X@Evil.Example", false}, model.IndicatorObservable{Kind: "email", Value: "x@evil.example"}},
	}
	for _, tc := range tests {
		got, err := tc.c.Observable()
		if err != nil || got != tc.want {
			t.Errorf("%+v.Observable() = %v, %v; want %v", tc.c, got, err, tc.want)
		}
	}
	if _, err := (Comparison{"file", "hashes.SSDEEP", "3:a:b", false}).Observable(); err == nil {
		t.Error("ssdeep hash accepted as a matchable hash")
	}
	if _, err := (Comparison{"ipv4-addr", "value", "999.1.1.1", false}).Observable(); err == nil {
		t.Error("invalid address accepted")
	}
}
