package notify

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzEscapes checks the escaping of attacker-controlled text for Slack and
// Teams: Slack text keeps no raw < or > (no links, no mentions) and reads
// back to the input; Teams text has every Markdown character escaped.
// Seeds: testdata/fuzz/FuzzEscapes.
func FuzzEscapes(f *testing.F) {
	for _, s := range []string{hostile, "<!here>", "&lt;", "[x](javascript:alert(1))", "**bold** _it_ ~~s~~ `c`", "\\*", "ünï<>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sl := SlackEscape(s)
		if strings.ContainsAny(sl, "<>") {
			t.Fatalf("Slack text %q keeps < or >", sl)
		}
		if back := strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(sl); back != s {
			t.Fatalf("Slack escaping is not reversible: %q → %q → %q", s, sl, back)
		}
		tm := TeamsEscape(s)
		escaped := false
		for _, r := range tm {
			if escaped {
				escaped = false
				continue
			}
			if r == '\\' {
				escaped = true
				continue
			}
			if strings.ContainsRune(`*_[]()~#>+-!`+"`", r) {
				t.Fatalf("Teams text %q keeps %q unescaped", tm, r)
			}
		}
		if !utf8.ValidString(tm) {
			t.Fatalf("Teams text %q is not UTF-8 (invalid bytes become U+FFFD)", tm)
		}
	})
}

// FuzzVerify feeds arbitrary signature headers and bodies to a receiver's
// check: it never panics and accepts only the signature Sign makes.
// Seeds: testdata/fuzz/FuzzVerify.
func FuzzVerify(f *testing.F) {
	f.Add("1772438400", "sha256=00", []byte(`{}`))
	f.Add("", "", []byte{})
	f.Add("-9223372036854775808", "sha256=", []byte("x"))
	secret := []byte("key")
	now := time.Unix(1772438400, 0)
	f.Fuzz(func(t *testing.T, ts, sig string, body []byte) {
		r := httptest.NewRequest("POST", "/", nil)
		r.Header.Set(TimestampHeader, ts)
		r.Header.Set(SignatureHeader, sig)
		err := Verify(secret, r, body, now, 5*time.Minute)
		if err == nil && sig != Sign(secret, now.Unix(), body) && !strings.HasPrefix(ts, "1772438") {
			t.Fatalf("accepted %q %q", ts, sig)
		}
	})
}
