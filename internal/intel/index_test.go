package intel

import (
	"fmt"
	"testing"

	"github.com/watchfloor/watchfloor/internal/intel/observable"
	"github.com/watchfloor/watchfloor/internal/model"
)

// TestIndexLookup: every key added is found under its indicators, keys
// not added are not, and duplicates collapse.
func TestIndexLookup(t *testing.T) {
	x := NewIndex()
	const n = 50_000
	for i := range n {
		x.Add(int64(i), fmt.Sprintf("domain:d%d.example", i))
		if i%1000 == 0 {
			x.Add(int64(i+n), fmt.Sprintf("domain:d%d.example", i)) // a second indicator, same value
			x.Add(int64(i), fmt.Sprintf("domain:d%d.example", i))   // a duplicate
		}
	}
	x.Add(7, "cidr:198.51.100.0/24")
	x.Add(8, "cidr:2001:db8::/32")
	x.Seal()
	if x.Len() != n+n/1000+2 || x.nets.V4[0] != 24 || x.nets.V6[0] != 32 {
		t.Fatalf("len %d, nets %+v", x.Len(), x.nets)
	}
	for i := range n {
		var got []int64
		x.Lookup(observable.Observable{Kind: observable.Domain, Value: fmt.Sprintf("d%d.example", i)}, func(id int64) { got = append(got, id) })
		want := 1
		if i%1000 == 0 {
			want = 2
		}
		if len(got) != want || got[0] != int64(i) {
			t.Fatalf("d%d: %v", i, got)
		}
	}
	miss := 0
	for i := range 10_000 {
		x.Lookup(observable.Observable{Kind: observable.Domain, Value: fmt.Sprintf("other%d.example", i)}, func(int64) { miss++ })
	}
	if miss != 0 {
		t.Fatalf("%d lookups of absent keys found something", miss)
	}
	var nets []int64
	x.Match([]model.Entity{{Type: "ip", Value: "198.51.100.9"}}, func(c candidate) { nets = append(nets, c.indicator) })
	if len(nets) != 1 || nets[0] != 7 {
		t.Fatalf("network match: %v", nets)
	}
}
