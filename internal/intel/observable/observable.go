// Package observable normalises the values that threat-intelligence
// indicators and alert entities carry — IP addresses and networks, domain
// names, URLs, e-mail addresses and file hashes — so that an indicator and
// an observable compare equal exactly when they name the same thing.
//
// Normalisation undoes defanging (hxxp, [.], (.), {.}, [dot], [:], [@]),
// lower-cases what is case-insensitive, drops a domain's trailing dot,
// turns internationalised domain names into punycode, reads IPv4-mapped
// IPv6 addresses as IPv4 and masks networks to their prefix. Each
// normalised value has a [Key] ("domain:example.com"), the string indicators
// are stored and looked up by.
//
// An alert entity matches more than its own key ([Candidates]): a domain
// also matches indicators on each of its parent domains (an indicator on
// evil.example matches www.evil.example), an address matches network
// indicators that contain it, a URL matches indicators on its host, and an
// e-mail address matches indicators on its domain.
package observable

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// Kind is the class of a normalised value.
type Kind string

// The kinds Watchfloor normalises. Values of any other indicator type keep
// that type's name as their kind and match entities of the same type by
// exact value.
const (
	IP     Kind = "ip"
	CIDR   Kind = "cidr"
	Domain Kind = "domain"
	URL    Kind = "url"
	Email  Kind = "email"
	MD5    Kind = "md5"
	SHA1   Kind = "sha1"
	SHA256 Kind = "sha256"
	SHA512 Kind = "sha512"
	// Hash is a file hash whose algorithm the value's length decides.
	Hash Kind = "hash"
)

// Known lists the kinds with their own normalisation, in display order.
var Known = []Kind{IP, CIDR, Domain, URL, Email, MD5, SHA1, SHA256, SHA512}

// Observable is a normalised value.
type Observable struct {
	Kind  Kind
	Value string
}

// Key is what indicators are stored and matched by: kind, colon, value.
func (o Observable) Key() string { return string(o.Kind) + ":" + o.Value }

// String is the key.
func (o Observable) String() string { return o.Key() }

// ParseKey splits a key into its observable.
func ParseKey(key string) (Observable, bool) {
	k, v, ok := strings.Cut(key, ":")
	if !ok || k == "" {
		return Observable{}, false
	}
	return Observable{Kind: Kind(k), Value: v}, true
}

// aliases maps type names used by STIX, MISP, CSV lists and alert
// sources onto kinds. Names are compared in lower case with '_' read as '-'.
var aliases = map[string]Kind{
	"ip": IP, "ipv4": IP, "ipv6": IP, "ip-address": IP, "ipaddress": IP, "address": IP, "ipv4-addr": IP, "ipv6-addr": IP,
	"ip-src": IP, "ip-dst": IP, "src-ip": IP, "dst-ip": IP, "source-ip": IP, "destination-ip": IP,
	"cidr": CIDR, "network": CIDR, "netblock": CIDR, "ip-range": CIDR, "subnet": CIDR,
	"domain": Domain, "domain-name": Domain, "domainname": Domain, "fqdn": Domain, "hostname": Domain,
	"url": URL, "uri": URL, "link": URL, "url-string": URL,
	"email": Email, "email-addr": Email, "email-address": Email, "email-src": Email, "email-dst": Email, "mail": Email,
	"sender": Email, "recipient": Email, "mail-from": Email,
	"md5": MD5, "sha1": SHA1, "sha-1": SHA1, "sha256": SHA256, "sha-256": SHA256, "sha512": SHA512, "sha-512": SHA512,
	"hash": Hash, "filehash": Hash, "file-hash": Hash, "file": Hash, "ip-port": IP, "ipv4-port": IP,
	"md5-hash": MD5, "sha1-hash": SHA1, "sha256-hash": SHA256, "sha512-hash": SHA512,
	"filename|md5": MD5, "filename|sha1": SHA1, "filename|sha256": SHA256, "filename|sha512": SHA512,
}

var kindSeparators = strings.NewReplacer("_", "-", ":", "-", " ", "-")

// KindOf maps a type name (an alert entity's type, a MISP attribute type,
// a STIX hash name, a CSV column value) to a kind. Names it does not know
// become a kind of their own, lower-cased; ok reports whether the name was
// one of the known kinds' names. Other kinds hold only lower-case ASCII
// letters, digits and '-', '|', '.'; anything else reads as '-'.
func KindOf(name string) (Kind, bool) {
	if k, ok := aliases[name]; ok { // the common case: already a known lower-case name
		return k, true
	}
	n := kindSeparators.Replace(strings.ToLower(strings.TrimSpace(name)))
	if k, ok := aliases[n]; ok {
		return k, true
	}
	return Kind(strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '|' || r == '.' {
			return r
		}
		return '-'
	}, n)), false
}

// IsKnown reports whether k has its own normalisation.
func IsKnown(k Kind) bool {
	switch k {
	case IP, CIDR, Domain, URL, Email, MD5, SHA1, SHA256, SHA512, Hash:
		return true
	}
	return false
}

// Errors normalisation reports, wrapped with the value.
var (
	ErrEmpty   = errors.New("empty value")
	ErrInvalid = errors.New("not a valid value of its type")
)

// Normalize normalises value as a kind. A domain or address typed as the
// other is accepted and reported as what it is; an IP value with a prefix
// shorter than the address becomes a CIDR observable; a hash typed only
// as Hash takes its algorithm from its length.
func Normalize(kind Kind, value string) (Observable, error) {
	v := strings.TrimSpace(value)
	if v == "" {
		return Observable{}, ErrEmpty
	}
	switch kind {
	case IP, CIDR:
		return normalizeAddr(Refang(v))
	case Domain:
		r := Refang(v)
		if mayBeAddr(r) {
			if o, err := normalizeAddr(r); err == nil {
				return o, nil
			}
		}
		d, err := NormalizeDomain(r)
		if err != nil {
			return Observable{}, err
		}
		if mayBeAddr(d) {
			if a, err := netip.ParseAddr(d); err == nil {
				return Observable{IP, a.Unmap().String()}, nil
			}
		}
		return Observable{Domain, d}, nil
	case URL:
		u, err := NormalizeURL(v)
		if err != nil {
			return Observable{}, err
		}
		return Observable{URL, u}, nil
	case Email:
		e, err := NormalizeEmail(v)
		if err != nil {
			return Observable{}, err
		}
		return Observable{Email, e}, nil
	case MD5, SHA1, SHA256, SHA512, Hash:
		return normalizeHash(kind, v)
	}
	if kind == "" {
		return Observable{}, fmt.Errorf("%q: no type", value)
	}
	return Observable{kind, v}, nil
}

// normalizeAddr reads an address or a network (refanged already).
func normalizeAddr(v string) (Observable, error) {
	if strings.Contains(v, "/") {
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return Observable{}, fmt.Errorf("%q: %w", v, ErrInvalid)
		}
		addr := p.Addr().WithZone("")
		bits := p.Bits()
		if addr.Is4In6() && bits >= 96 {
			addr, bits = addr.Unmap(), bits-96
		}
		p = netip.PrefixFrom(addr, bits).Masked()
		if bits == addr.BitLen() {
			return Observable{IP, addr.String()}, nil
		}
		return Observable{CIDR, p.String()}, nil
	}
	a, err := parseAddr(v)
	if err != nil {
		return Observable{}, err
	}
	return Observable{IP, a.String()}, nil
}

// parseAddr reads an address, also with a port ("1.2.3.4:443",
// "[::1]:443") or in brackets, dropping zone and IPv4 mapping.
func parseAddr(v string) (netip.Addr, error) {
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(v, "["), "]"))
	if err != nil {
		ap, perr := netip.ParseAddrPort(v)
		if perr != nil {
			return netip.Addr{}, fmt.Errorf("%q: %w", v, ErrInvalid)
		}
		a = ap.Addr()
	}
	return a.WithZone("").Unmap(), nil
}

var hashLen = map[Kind]int{MD5: 32, SHA1: 40, SHA256: 64, SHA512: 128}

// mayBeAddr reports whether s could be an address or network: IPv4 starts
// with a digit, IPv6 holds a colon (a domain does neither).
func mayBeAddr(s string) bool {
	return s != "" && (s[0] >= '0' && s[0] <= '9' || s[0] == '[' || strings.IndexByte(s, ':') >= 0)
}

// hexClass is 1 for lower-case hexadecimal digits, 2 for upper-case ones.
var hexClass = func() (t [256]uint8) {
	for _, c := range "0123456789abcdef" {
		t[c] = 1
	}
	for _, c := range "ABCDEF" {
		t[c] = 2
	}
	return t
}()

func normalizeHash(kind Kind, v string) (Observable, error) {
	var seen uint8
	for i := 0; i < len(v); i++ {
		c := hexClass[v[i]]
		if c == 0 {
			return Observable{}, fmt.Errorf("%q: %w (hashes are hexadecimal)", v, ErrInvalid)
		}
		seen |= c
	}
	if seen&2 != 0 {
		v = strings.ToLower(v)
	}
	if kind == Hash {
		for k, n := range hashLen {
			if len(v) == n {
				return Observable{k, v}, nil
			}
		}
		return Observable{}, fmt.Errorf("%q: %w (a hash of %d hex digits is not MD5, SHA-1, SHA-256 or SHA-512)", v, ErrInvalid, len(v))
	}
	if len(v) != hashLen[kind] {
		return Observable{}, fmt.Errorf("%q: %w (%s has %d hex digits, not %d)", v, ErrInvalid, kind, hashLen[kind], len(v))
	}
	return Observable{kind, v}, nil
}
