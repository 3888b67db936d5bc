package observable

import (
	"net/netip"
	"strings"
	"unsafe"
)

// Prefixes are the network lengths that network indicators use, per
// address family, so that an address is looked up under each network of
// those lengths that holds it.
type Prefixes struct {
	V4, V6 []int
}

// AssetTypes are entity types that name the organisation's own assets
// (hosts, users, devices, cloud resources): they are reported beside
// matches, never matched against indicators.
var AssetTypes = map[string]bool{"host": true, "hostname": true, "device": true, "user": true, "account": true,
	"resource": true, "asset": true, "workstation": true, "server": true}

// IsAsset reports whether an entity type names an asset.
func IsAsset(entityType string) bool {
	return AssetTypes[strings.ToLower(strings.TrimSpace(entityType))]
}

// Candidates calls fn with every observable an indicator may be stored as
// to match an alert entity of the given type and value: the entity's own
// normalised value, a domain's parent domains, the networks of the given
// lengths that hold an address, a URL's host (and its parents or
// networks), an e-mail address's domain (and its parents). Entities that
// do not normalise, and asset types other than hostname, produce nothing.
// A network's Value is built in scratch space: fn must copy it (Key does)
// to keep it beyond the call.
func Candidates(entityType, value string, nets Prefixes, fn func(Observable)) {
	kind, known := KindOf(entityType)
	if !known {
		if IsAsset(entityType) {
			return
		}
		if v := strings.TrimSpace(value); v != "" {
			fn(Observable{kind, v})
		}
		return
	}
	if kind == CIDR {
		kind = IP
	}
	if kind == IP {
		// The common case without allocating: a plain address.
		if a, err := netip.ParseAddr(value); err == nil && a.Zone() == "" && !a.Is4In6() {
			v := value
			if a.Is6() {
				v = a.String()
			}
			fn(Observable{IP, v})
			emitNetworks(a, nets, fn)
			return
		}
	}
	o, err := Normalize(kind, value)
	if err != nil {
		return
	}
	emitObservable(o, nets, fn)
}

// emitObservable calls fn with o and what o implies.
func emitObservable(o Observable, nets Prefixes, fn func(Observable)) {
	switch o.Kind {
	case IP:
		fn(o)
		if a, err := netip.ParseAddr(o.Value); err == nil {
			emitNetworks(a, nets, fn)
		}
	case Domain:
		emitParents(o.Value, fn)
	case URL:
		fn(o)
		if h, ok := Host(o.Value); ok {
			emitObservable(h, nets, fn)
		}
	case Email:
		fn(o)
		if at := strings.LastIndexByte(o.Value, '@'); at >= 0 {
			emitParents(o.Value[at+1:], fn)
		}
	case CIDR:
		// An entity that is a network matches indicators on that network.
		fn(o)
	default:
		fn(o)
	}
}

// emitParents calls fn with a domain and each parent domain.
func emitParents(d string, fn func(Observable)) {
	for d != "" {
		fn(Observable{Domain, d})
		i := strings.IndexByte(d, '.')
		if i < 0 {
			return
		}
		d = d[i+1:]
	}
}

// emitNetworks calls fn with the networks of the given lengths that hold
// a; their text is written in scratch space, so fn must copy it to keep it.
func emitNetworks(a netip.Addr, nets Prefixes, fn func(Observable)) {
	lens := nets.V4
	if a.Is6() {
		lens = nets.V6
	}
	var buf [64]byte
	for _, bits := range lens {
		if bits >= a.BitLen() {
			continue
		}
		p, err := a.Prefix(bits)
		if err != nil {
			continue
		}
		b := p.AppendTo(buf[:0])
		fn(Observable{CIDR, unsafe.String(unsafe.SliceData(b), len(b))})
	}
}
