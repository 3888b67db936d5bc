package attack

import "testing"

// BenchmarkLoad measures what the first Load call costs: gunzipping and
// parsing the embedded catalog and building its indexes. Later calls return
// the parsed catalog.
func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(embedded)))
	for b.Loop() {
		if _, err := loadEmbedded(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTechnique measures lookups as detection-content mapping does
// them: lower-case IDs, some revoked.
func BenchmarkTechnique(b *testing.B) {
	c := mustLoad(b)
	refs := []string{"t1059.001", "T1086", "t1055.011", "T1150", "T1078"}
	b.ReportAllocs()
	for b.Loop() {
		for _, ref := range refs {
			if _, ok := c.Technique(ref); !ok {
				b.Fatal(ref)
			}
		}
	}
}

// BenchmarkGroupTechniques measures listing what a group uses.
func BenchmarkGroupTechniques(b *testing.B) {
	c := mustLoad(b)
	b.ReportAllocs()
	for b.Loop() {
		if len(c.GroupTechniques("APT29")) == 0 {
			b.Fatal("no techniques")
		}
	}
}
