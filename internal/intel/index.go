package intel

import (
	"cmp"
	"hash/maphash"
	"net/netip"
	"slices"
	"strings"

	"github.com/watchfloor/watchfloor/internal/intel/observable"
	"github.com/watchfloor/watchfloor/internal/model"
)

// Index is an in-memory set of indicator keys for matching: the 64-bit
// hash of each key (kind:value) with the indicator it belongs to, sorted,
// and the network lengths that network indicators use. It holds no key
// text — 16 bytes an entry — so a hit is a candidate that the store
// confirms against the stored key before it becomes a match.
type Index struct {
	seed    maphash.Seed
	entries []indexEntry
	// buckets[b] is the first entry whose hash's top bucketBits bits are
	// b or more, so a lookup searches one bucket of a few entries.
	buckets []int32
	// filter has the bit of each key's hash's top filterBits bits set: most
	// lookups of absent keys end there, in 2 MiB rather than the entries.
	filter []uint64
	nets   observable.Prefixes
}

// filterBits sizes the filter: 2^24 bits (2 MiB); with a million keys
// about 6 % are set, so 94 % of absent keys are rejected at once.
const filterBits = 24

// bucketBits sizes the bucket table: 65,536 buckets (256 KiB), about 15
// entries each with a million keys.
const bucketBits = 16

type indexEntry struct {
	hash uint64
	id   int64
}

// NewIndex returns an empty index.
func NewIndex() *Index { return &Index{seed: maphash.MakeSeed()} }

// Add adds an indicator's key; call Seal once all are added.
func (x *Index) Add(id int64, key string) {
	o, _ := observable.ParseKey(key)
	x.entries = append(x.entries, indexEntry{x.hash(o), id})
	if rest, ok := strings.CutPrefix(key, string(observable.CIDR)+":"); ok {
		if p, err := netip.ParsePrefix(rest); err == nil {
			if p.Addr().Is4() {
				x.nets.V4 = append(x.nets.V4, p.Bits())
			} else {
				x.nets.V6 = append(x.nets.V6, p.Bits())
			}
		}
	}
}

// Seal sorts the index for lookups.
func (x *Index) Seal() {
	slices.SortFunc(x.entries, func(a, b indexEntry) int {
		if c := cmp.Compare(a.hash, b.hash); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	x.entries = slices.CompactFunc(x.entries, func(a, b indexEntry) bool { return a == b })
	x.entries = slices.Clip(x.entries)
	x.buckets = make([]int32, 1<<bucketBits+1)
	e := 0
	for b := range 1 << bucketBits {
		for e < len(x.entries) && int(x.entries[e].hash>>(64-bucketBits)) < b {
			e++
		}
		x.buckets[b] = int32(e)
	}
	x.buckets[1<<bucketBits] = int32(len(x.entries))
	x.filter = make([]uint64, 1<<filterBits/64)
	for _, en := range x.entries {
		f := en.hash >> (64 - filterBits)
		x.filter[f/64] |= 1 << (f % 64)
	}
	for _, l := range []*[]int{&x.nets.V4, &x.nets.V6} {
		slices.Sort(*l)
		*l = slices.Clip(slices.Compact(*l))
	}
}

// Len is the number of keys.
func (x *Index) Len() int { return len(x.entries) }

// Bytes is the memory the index takes.
func (x *Index) Bytes() int { return cap(x.entries)*16 + len(x.buckets)*4 + len(x.filter)*8 }

// hash is an observable's key hash: the value's and the kind's hashes
// combined (two one-shot hashes cost less than streaming the key).
func (x *Index) hash(o observable.Observable) uint64 {
	return maphash.String(x.seed, o.Value) ^ maphash.String(x.seed, string(o.Kind))*0x9e3779b97f4a7c15
}

// Lookup calls fn with every indicator that may hold o's key.
func (x *Index) Lookup(o observable.Observable, fn func(id int64)) {
	if len(x.entries) == 0 || x.buckets == nil {
		return
	}
	h := x.hash(o)
	if f := h >> (64 - filterBits); x.filter[f/64]&(1<<(f%64)) == 0 {
		return
	}
	b := h >> (64 - bucketBits)
	lo, hi := int(x.buckets[b]), int(x.buckets[b+1])
	i, _ := slices.BinarySearchFunc(x.entries[lo:hi], h, func(e indexEntry, h uint64) int { return cmp.Compare(e.hash, h) })
	for i += lo; i < hi && x.entries[i].hash == h; i++ {
		fn(x.entries[i].id)
	}
}

// candidate is an indicator that may match an alert entity.
type candidate struct {
	indicator int64
	key       string
	entity    int // index in the alert's entities
}

// Match calls fn with every (indicator, key) the index holds for an
// alert's entities: each entity's own value and what it implies (parent
// domains, networks holding an address, a URL's host, an address's
// domain).
func (x *Index) Match(entities []model.Entity, fn func(c candidate)) {
	for i, e := range entities {
		observable.Candidates(e.Type, e.Value, x.nets, func(o observable.Observable) {
			x.Lookup(o, func(id int64) { fn(candidate{indicator: id, key: o.Key(), entity: i}) })
		})
	}
}
