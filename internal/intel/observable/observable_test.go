package observable

import (
	"errors"
	"slices"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		kind  Kind
		in    string
		want  Observable
		fails bool
	}{
		// Case and trailing dot.
		{Domain, "Evil.Example.COM.", Observable{Domain, "evil.example.com"}, false},
		{Domain, "  evil.example  ", Observable{Domain, "evil.example"}, false},
		{Domain, "*.evil.example", Observable{Domain, "evil.example"}, false},
		{Domain, "_dmarc.Evil.example", Observable{Domain, "_dmarc.evil.example"}, false},
		// Defanged.
		{Domain, "evil[.]example", Observable{Domain, "evil.example"}, false},
		{Domain, "evil(.)example(.)com", Observable{Domain, "evil.example.com"}, false},
		{Domain, "evil{.}example[dot]com", Observable{Domain, "evil.example.com"}, false},
		// IDN to punycode, whatever the case and width.
		{Domain, "Bücher.example", Observable{Domain, "xn--bcher-kva.example"}, false},
		{Domain, "xn--bcher-kva.example", Observable{Domain, "xn--bcher-kva.example"}, false},
		{Domain, "ＢÜＣＨＥＲ。example", Observable{Domain, "xn--bcher-kva.example"}, false},
		{Domain, "münchen.de.", Observable{Domain, "xn--mnchen-3ya.de"}, false},
		// A domain that is an address.
		{Domain, "203.0.113[.]7", Observable{IP, "203.0.113.7"}, false},
		{Domain, "bad domain.example", Observable{}, true},
		{Domain, "-bad.example", Observable{}, true},
		{Domain, "a..example", Observable{}, true},
		{Domain, "", Observable{}, true},
		// Addresses and networks.
		{IP, "203.0.113.7", Observable{IP, "203.0.113.7"}, false},
		{IP, "203[.]0[.]113[.]7", Observable{IP, "203.0.113.7"}, false},
		{IP, "203.0.113.7:443", Observable{IP, "203.0.113.7"}, false},
		{IP, "::ffff:203.0.113.7", Observable{IP, "203.0.113.7"}, false},
		{IP, "2001:DB8::0:1", Observable{IP, "2001:db8::1"}, false},
		{IP, "[2001:db8::1]:8443", Observable{IP, "2001:db8::1"}, false},
		{IP, "fe80::1%eth0", Observable{IP, "fe80::1"}, false},
		{IP, "198.51.100.77/24", Observable{CIDR, "198.51.100.0/24"}, false},
		{CIDR, "198.51.100.0/32", Observable{IP, "198.51.100.0"}, false},
		{CIDR, "2001:db8:ff::/40", Observable{CIDR, "2001:db8::/40"}, false},
		{CIDR, "::ffff:198.51.100.0/120", Observable{CIDR, "198.51.100.0/24"}, false},
		{IP, "010.1.1.1", Observable{}, true},
		{IP, "1.2.3", Observable{}, true},
		{CIDR, "1.2.3.4/33", Observable{}, true},
		// URLs: scheme, host and escapes; path case kept.
		{URL, "hxxp://Evil[.]Example/Path?q=A", Observable{URL, "http://evil.example/Path?q=A"}, false},
		{URL, "hXXps://evil[.]example[:]443/x", Observable{URL, "https://evil.example/x"}, false},
		{URL, "HTTP://EVIL.EXAMPLE", Observable{URL, "http://evil.example/"}, false},
		{URL, "http://evil.example:8080/a#frag", Observable{URL, "http://evil.example:8080/a"}, false},
		{URL, "http://user:pw@evil.example/a", Observable{URL, "http://evil.example/a"}, false},
		{URL, "http://evil.example/%7euser/%2fx%2F", Observable{URL, "http://evil.example/~user/%2Fx%2F"}, false},
		{URL, "evil.example/dl.php", Observable{URL, "http://evil.example/dl.php"}, false},
		{URL, "http://Bücher.example/", Observable{URL, "http://xn--bcher-kva.example/"}, false},
		{URL, "http://[2001:DB8::1]:80/", Observable{URL, "http://[2001:db8::1]/"}, false},
		{URL, "http:///nohost", Observable{}, true},
		// E-mail.
		{Email, "Billing@Evil[.]Example", Observable{Email, "billing@evil.example"}, false},
		{Email, "Billing <billing[@]evil.example.>", Observable{Email, "billing@evil.example"}, false},
		{Email, "mailto:x@Bücher.example", Observable{Email, "x@xn--bcher-kva.example"}, false},
		{Email, "no-at-sign", Observable{}, true},
		// Hashes by algorithm.
		{MD5, "D41D8CD98F00B204E9800998ECF8427E", Observable{MD5, "d41d8cd98f00b204e9800998ecf8427e"}, false},
		{Hash, "da39a3ee5e6b4b0d3255bfef95601890afd80709", Observable{SHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"}, false},
		{Hash, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Observable{SHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}, false},
		{SHA256, "d41d8cd98f00b204e9800998ecf8427e", Observable{}, true},
		{Hash, "abc", Observable{}, true},
		{MD5, "z41d8cd98f00b204e9800998ecf8427e", Observable{}, true},
		// Other types are kept as they are.
		{Kind("text"), " ehlgimmlmmcocemjadeafmohiplmgmei ", Observable{"text", "ehlgimmlmmcocemjadeafmohiplmgmei"}, false},
	}
	for _, tc := range tests {
		got, err := Normalize(tc.kind, tc.in)
		if tc.fails {
			if err == nil {
				t.Errorf("Normalize(%s, %q) = %v, want an error", tc.kind, tc.in, got)
			} else if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrEmpty) {
				t.Errorf("Normalize(%s, %q): error %v is neither ErrInvalid nor ErrEmpty", tc.kind, tc.in, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Normalize(%s, %q) = %v, %v; want %v", tc.kind, tc.in, got, err, tc.want)
		}
	}
}

func TestRefang(t *testing.T) {
	for in, want := range map[string]string{
		"hxxp://a[.]b":          "http://a.b",
		"HXXPS://a(.)b":         "https://a.b",
		"hxxps[://]a[.]b":       "https://a.b",
		"fxp://files[.]example": "ftp://files.example",
		"x[@]y[dot]z":           "x@y.z",
		"1.2.3.4[:]80":          "1.2.3.4:80",
		"plain.example":         "plain.example",
	} {
		if got := Refang(in); got != want {
			t.Errorf("Refang(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestKindOf(t *testing.T) {
	for name, want := range map[string]Kind{
		"ipv4-addr": IP, "ip-dst": IP, "IP_Address": IP, "domain-name": Domain, "hostname": Domain, "FQDN": Domain,
		"url": URL, "uri": URL, "email-src": Email, "SHA-256": SHA256, "sha1": SHA1, "MD5": MD5, "filehash": Hash,
		"filename|sha256": SHA256, "text": "text", "Mutex": "mutex",
	} {
		if got, _ := KindOf(name); got != want {
			t.Errorf("KindOf(%q) = %q, want %q", name, got, want)
		}
	}
	if _, ok := KindOf("mutex"); ok {
		t.Error("mutex reported as a known kind")
	}
}

func candidates(typ, value string, nets Prefixes) []string {
	var out []string
	Candidates(typ, value, nets, func(o Observable) { out = append(out, o.Key()) })
	return out
}

func TestCandidates(t *testing.T) {
	nets := Prefixes{V4: []int{8, 24, 32}, V6: []int{32}}
	tests := []struct {
		typ, value string
		want       []string
	}{
		{"domain", "WWW.Evil.Example.", []string{"domain:www.evil.example", "domain:evil.example", "domain:example"}},
		{"ip", "203.0.113.7", []string{"ip:203.0.113.7", "cidr:203.0.0.0/8", "cidr:203.0.113.0/24"}},
		{"ipv6", "2001:db8::7", []string{"ip:2001:db8::7", "cidr:2001:db8::/32"}},
		{"url", "hxxp://cdn.evil[.]example/a", []string{"url:http://cdn.evil.example/a", "domain:cdn.evil.example", "domain:evil.example", "domain:example"}},
		{"url", "http://203.0.113.7:8080/x", []string{"url:http://203.0.113.7:8080/x", "ip:203.0.113.7", "cidr:203.0.0.0/8", "cidr:203.0.113.0/24"}},
		{"email", "HR@Evil.Example", []string{"email:hr@evil.example", "domain:evil.example", "domain:example"}},
		{"hash", "D41D8CD98F00B204E9800998ECF8427E", []string{"md5:d41d8cd98f00b204e9800998ecf8427e"}},
		{"sha256", "d41d8cd98f00b204e9800998ecf8427e", nil}, // wrong length for its algorithm
		{"host", "WS-0001", nil},
		{"user", "alice", nil},
		{"text", "abc", []string{"text:abc"}},
		{"ip", "not an ip", nil},
	}
	for _, tc := range tests {
		if got := candidates(tc.typ, tc.value, nets); !slices.Equal(got, tc.want) {
			t.Errorf("Candidates(%s, %q) = %q, want %q", tc.typ, tc.value, got, tc.want)
		}
	}
}

func TestHost(t *testing.T) {
	for in, want := range map[string]Observable{
		"http://evil.example:8080/a": {Domain, "evil.example"},
		"https://[2001:db8::1]/":     {IP, "2001:db8::1"},
		"http://203.0.113.9?x":       {IP, "203.0.113.9"},
	} {
		if got, ok := Host(in); !ok || got != want {
			t.Errorf("Host(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
}
