package observable

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"

	"golang.org/x/net/idna"
)

// refangs are the defanging marks analysts and feeds put in values so they
// cannot be clicked, and what each stands for. Longer marks come first.
var refangs = strings.NewReplacer(
	"[://]", "://", "[:]//", "://", "[:]", ":",
	"[.]", ".", "(.)", ".", "{.}", ".", "[dot]", ".", "(dot)", ".", "[DOT]", ".", "(DOT)", ".",
	"[@]", "@", "(@)", "@", "[at]", "@", "(at)", "@", "[AT]", "@",
	"[/]", "/",
)

// Refang undoes defanging: hxxp(s) and fxp schemes, [.], (.), {.}, [dot],
// [:], [://], [@] and [at].
func Refang(s string) string {
	if strings.ContainsAny(s, "[({") {
		s = refangs.Replace(s)
	}
	if len(s) >= 4 {
		l := strings.ToLower(s[:min(len(s), 5)])
		switch {
		case l == "hxxps":
			s = "https" + s[5:]
		case strings.HasPrefix(l, "hxxp"):
			s = "http" + s[4:]
		case strings.HasPrefix(l, "fxp:"):
			s = "ftp" + s[3:]
		}
	}
	return s
}

// domainProfile maps a name for lookup (case folding, width mapping,
// normalisation) and turns Unicode labels into punycode. Unlike
// idna.Lookup it accepts underscores, which real names (_dmarc…) carry.
var domainProfile = idna.New(idna.MapForLookup(), idna.Transitional(false), idna.StrictDomainName(false))

// NormalizeDomain lower-cases a domain name, drops its trailing dot and a
// leading "*." and turns an internationalised name into punycode.
func NormalizeDomain(s string) (string, error) {
	d := strings.TrimSpace(Refang(s))
	d = strings.TrimPrefix(d, "*.")
	d = strings.TrimSuffix(d, ".")
	if d == "" {
		return "", ErrEmpty
	}
	if ascii, lower := asciiName(d); ascii {
		d = lower
	} else {
		a, err := domainProfile.ToASCII(d)
		if err != nil {
			return "", fmt.Errorf("%q: %w (%v)", s, ErrInvalid, err)
		}
		d = strings.TrimSuffix(a, ".")
	}
	if err := checkDomain(d); err != nil {
		return "", fmt.Errorf("%q: %w", s, err)
	}
	return d, nil
}

// asciiName reports whether d is plain ASCII letters, digits, '-', '_' and
// '.', and returns it lower-cased.
func asciiName(d string) (bool, string) {
	upper := false
	for i := 0; i < len(d); i++ {
		c := d[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		case c >= 'A' && c <= 'Z':
			upper = true
		default:
			return false, ""
		}
	}
	if upper {
		return true, strings.ToLower(d)
	}
	return true, d
}

// checkDomain checks a lower-case ASCII name: labels of 1–63 letters,
// digits, '-' or '_', not starting or ending with '-', 253 bytes at most.
func checkDomain(d string) error {
	if len(d) > 253 {
		return fmt.Errorf("%w (longer than 253 bytes)", ErrInvalid)
	}
	for label := range strings.SplitSeq(d, ".") {
		if label == "" || len(label) > 63 {
			return fmt.Errorf("%w (empty or over-long label)", ErrInvalid)
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("%w (label %q starts or ends with '-')", ErrInvalid, label)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' && c != '_' {
				return fmt.Errorf("%w (character %q)", ErrInvalid, c)
			}
		}
	}
	return nil
}

// defaultPorts are dropped from URLs.
var defaultPorts = map[string]string{"http": "80", "https": "443", "ftp": "21", "ws": "80", "wss": "443"}

// NormalizeURL normalises a URL: refanged; read as http:// when it has no
// scheme; scheme and host lower-cased, the host normalised as a domain or
// an address; user information, the default port and the fragment
// dropped; an empty path read as "/"; percent-escapes of unreserved
// characters decoded and the others upper-cased. Path and query keep their
// case.
func NormalizeURL(s string) (string, error) {
	v := strings.TrimSpace(Refang(s))
	if v == "" {
		return "", ErrEmpty
	}
	if i := strings.Index(v, "://"); i < 0 || strings.ContainsAny(v[:i], "/?#.") {
		v = "http://" + strings.TrimPrefix(v, "//")
	}
	u, err := url.Parse(v)
	if err != nil {
		return "", fmt.Errorf("%q: %w (%v)", s, ErrInvalid, err)
	}
	scheme := strings.ToLower(u.Scheme)
	hostname, port := u.Hostname(), u.Port()
	if hostname == "" {
		return "", fmt.Errorf("%q: %w (no host)", s, ErrInvalid)
	}
	host, err := urlHost(hostname)
	if err != nil {
		return "", fmt.Errorf("%q: %w", s, err)
	}
	if port != "" && port != defaultPorts[scheme] {
		host += ":" + port
	}
	path := escapes(u.EscapedPath())
	if path == "" {
		path = "/"
	}
	var b strings.Builder
	b.Grow(len(scheme) + 3 + len(host) + len(path) + len(u.RawQuery) + 1)
	b.WriteString(scheme)
	b.WriteString("://")
	b.WriteString(host)
	b.WriteString(path)
	if u.RawQuery != "" || u.ForceQuery {
		b.WriteByte('?')
		b.WriteString(escapes(u.RawQuery))
	}
	return b.String(), nil
}

// urlHost normalises a URL's host: an address (IPv6 in brackets) or a
// domain name.
func urlHost(h string) (string, error) {
	if a, err := netip.ParseAddr(h); err == nil {
		a = a.WithZone("").Unmap()
		if a.Is6() {
			return "[" + a.String() + "]", nil
		}
		return a.String(), nil
	}
	return NormalizeDomain(h)
}

// Host returns the observable a normalised URL's host is: an address or a
// domain.
func Host(normalizedURL string) (Observable, bool) {
	_, rest, ok := strings.Cut(normalizedURL, "://")
	if !ok {
		return Observable{}, false
	}
	end := strings.IndexAny(rest, "/?")
	if end >= 0 {
		rest = rest[:end]
	}
	if strings.HasPrefix(rest, "[") {
		if i := strings.IndexByte(rest, ']'); i > 0 {
			return Observable{IP, rest[1:i]}, true
		}
		return Observable{}, false
	}
	if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		rest = rest[:i]
	}
	if a, err := netip.ParseAddr(rest); err == nil {
		return Observable{IP, a.String()}, true
	}
	return Observable{Domain, rest}, rest != ""
}

// escapes normalises percent-escapes: unreserved characters (letters,
// digits, '-', '.', '_', '~') are decoded, other escapes upper-cased, and
// spaces, control characters and bytes beyond ASCII escaped.
func escapes(s string) string {
	clean := !strings.Contains(s, "%")
	for i := 0; clean && i < len(s); i++ {
		clean = s[i] > ' ' && s[i] < 0x7f
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			d := unhex(s[i+1])<<4 | unhex(s[i+2])
			if isUnreserved(d) {
				b.WriteByte(d)
			} else {
				b.WriteByte('%')
				b.WriteString(strings.ToUpper(s[i+1 : i+3]))
			}
			i += 2
			continue
		}
		if c <= ' ' || c >= 0x7f || c == '%' {
			const hexDigits = "0123456789ABCDEF"
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

func isUnreserved(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

// NormalizeEmail lower-cases an address ("Name <a@b>" and "mailto:" are
// accepted) and normalises its domain.
func NormalizeEmail(s string) (string, error) {
	v := strings.TrimSpace(Refang(s))
	if i := strings.LastIndexByte(v, '<'); i >= 0 && strings.HasSuffix(v, ">") {
		v = v[i+1 : len(v)-1]
	}
	if len(v) > 7 && strings.EqualFold(v[:7], "mailto:") {
		v = v[7:]
	}
	at := strings.LastIndexByte(v, '@')
	if at <= 0 || at == len(v)-1 {
		return "", fmt.Errorf("%q: %w (no local part or domain)", s, ErrInvalid)
	}
	local := strings.ToLower(v[:at])
	if strings.ContainsAny(local, " \t\r\n<>@") {
		return "", fmt.Errorf("%q: %w", s, ErrInvalid)
	}
	d, err := NormalizeDomain(v[at+1:])
	if err != nil {
		return "", err
	}
	return local + "@" + d, nil
}
