package sketch

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// γ = 1.01/0.99 = 1.0202020202…, ln γ = ln 1.01 − ln 0.99 = 0.0099503309 + 0.0100503359 = 0.0200006667.
func TestBin(t *testing.T) {
	for _, tc := range []struct {
		x    float64
		want int
	}{
		{0, ZeroBin},
		{-5, ZeroBin},
		{math.NaN(), ZeroBin},
		{0.999, ZeroBin},
		{1, 0},        // ln 1 = 0
		{1.01, 1},     // ln 1.01 / ln γ = 0.0099503 / 0.0200007 = 0.4975 → 1
		{1.5, 21},     // 0.4054651 / 0.0200007 = 20.27 → 21
		{2, 35},       // 0.6931472 / 0.0200007 = 34.66 → 35
		{60, 205},     // 4.0943446 / 0.0200007 = 204.71 → 205
		{3600, 410},   // 8.1886891 / 0.0200007 = 409.42 → 410
		{86400, 569},  // 11.3667434 / 0.0200007 = 568.32 → 569
		{604800, 666}, // 13.3126536 / 0.0200007 = 665.61 → 666
		{MaxValue, MaxBin},
		{math.Inf(1), MaxBin},
	} {
		if got := Bin(tc.x); got != tc.want {
			t.Errorf("Bin(%v) = %d, want %d", tc.x, got, tc.want)
		}
	}
	// ln(9223372036.854775807) / ln γ = 22.9449 / 0.0200007 = 1147.2 → 1148.
	if MaxBin != 1148 {
		t.Errorf("MaxBin = %d, want 1148", MaxBin)
	}
}

// Value(k) = 2γ^k/(γ+1) and γ+1 = 2/0.99, so Value(k) = 0.99·γ^k.
func TestValue(t *testing.T) {
	for _, tc := range []struct {
		k    int
		want float64
	}{
		{ZeroBin, 0},
		{-7, 0},
		{0, 0.99},                // 0.99·1
		{1, 1.01},                // 0.99·1.01/0.99
		{2, 1.0304040404040404},  // 1.01·1.0202020…
		{35, 1.9936617014173441}, // 0.99·e^(35·0.0200007) = 0.99·2.0138
		{205, 59.74504981014511}, // 0.99·e^(205·0.0200007) = 0.99·60.348
		{410, 3605.526239208809}, // 0.99·e^(410·0.0200007) = 0.99·3641.9
		{569, 86710.39226567234}, // 0.99·e^(569·0.0200007) = 0.99·87586
	} {
		got := Value(tc.k)
		if math.Abs(got-tc.want) > 1e-12*tc.want {
			t.Errorf("Value(%d) = %v, want %v", tc.k, got, tc.want)
		}
	}
}

// TestBinValueError checks the per-value guarantee |Value(Bin(x)) − x| ≤ α·x
// and that each bin's representative lies in its own bin.
func TestBinValueError(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		x := math.Exp(rng.Float64() * math.Log(MaxValue))
		if v := Value(Bin(x)); !within(v, x) {
			t.Fatalf("Value(Bin(%v)) = %v: relative error %v > α", x, v, math.Abs(v-x)/x)
		}
	}
	// Bin 0 is (1/γ, 1] and holds only MinValue itself, so its representative
	// 0.99 is below MinValue; every other representative is in its own bin.
	for k := 1; k <= MaxBin; k++ {
		if got := Bin(Value(k)); got != k {
			t.Fatalf("Bin(Value(%d)) = %d", k, got)
		}
	}
}

func TestRank(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		q    float64
		want int64
		ok   bool
	}{
		{1, 0.5, 1, true},
		{4, 0.5, 2, true}, // lower middle of an even count
		{5, 0.5, 3, true},
		{10, 0.9, 9, true},
		{11, 0.9, 10, true}, // ceil(9.9)
		{100, 0.99, 99, true},
		{100, 0.07, 7, true}, // 0.07·100 = 7.000000000000001 in float64
		{3, 0, 1, true},
		{3, 1, 3, true},
		{0, 0.5, 0, false},
		{3, -0.1, 0, false},
		{3, 1.1, 0, false},
		{3, math.NaN(), 0, false},
	} {
		got, ok := Rank(tc.n, tc.q)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Rank(%d, %v) = %d, %v; want %d, %v", tc.n, tc.q, got, ok, tc.want, tc.ok)
		}
	}
}

func TestExactQuantile(t *testing.T) {
	data := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for _, tc := range []struct {
		q, want float64
	}{{0, 1}, {0.5, 5}, {0.9, 9}, {0.91, 10}, {0.99, 10}, {1, 10}} {
		if got := ExactQuantile(data, tc.q); got != tc.want {
			t.Errorf("ExactQuantile(1..10, %v) = %v, want %v", tc.q, got, tc.want)
		}
	}
	if got := ExactQuantile(nil, 0.5); !math.IsNaN(got) {
		t.Errorf("ExactQuantile(nil) = %v, want NaN", got)
	}
}

// distributions are the shapes the property tests draw from, in seconds.
var distributions = []struct {
	name string
	draw func(*rand.Rand) float64
}{
	{"lognormal", func(r *rand.Rand) float64 { return math.Exp(math.Log(3600) + 1.5*r.NormFloat64()) }},
	{"uniform", func(r *rand.Rand) float64 { return r.Float64() * 1e5 }},
	{"pareto", func(r *rand.Rand) float64 { return 30 / math.Pow(1-r.Float64(), 1/1.1) }},
	{"zeros", func(r *rand.Rand) float64 {
		if r.IntN(3) == 0 {
			return 0
		}
		return r.ExpFloat64() * 900
	}},
	{"subsecond", func(r *rand.Rand) float64 { return r.Float64() * 3 }},
	{"duplicates", func(r *rand.Rand) float64 { return []float64{0, 1, 59, 60, 61, 3600, 86400}[r.IntN(7)] }},
	{"allzero", func(*rand.Rand) float64 { return 0 }},
}

func TestQuantileWithinAccuracy(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, d := range distributions {
		for trial := range 40 {
			n := 1 + rng.IntN(5000)
			values := make([]float64, n)
			var s Sketch
			for i := range values {
				values[i] = d.draw(rng)
				if err := s.Add(values[i]); err != nil {
					t.Fatal(err)
				}
			}
			slices.Sort(values)
			if s.Count() != int64(n) {
				t.Fatalf("%s/%d: Count = %d, want %d", d.name, trial, s.Count(), n)
			}
			for _, q := range []float64{0, 0.5, 0.9, 0.99, 1} {
				exact := ExactQuantile(values, q)
				got, ok := s.Quantile(q)
				if !ok {
					t.Fatalf("%s/%d: Quantile(%v) not ok", d.name, trial, q)
				}
				if exact < MinValue {
					if got != 0 {
						t.Errorf("%s/%d n=%d q=%v: got %v, want 0 for exact %v", d.name, trial, n, q, got, exact)
					}
				} else if !within(got, exact) {
					t.Errorf("%s/%d n=%d q=%v: got %v, exact %v, relative error %v > α",
						d.name, trial, n, q, got, exact, math.Abs(got-exact)/exact)
				}
			}
		}
	}
}

func TestMergeEqualsUnion(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, d := range distributions {
		var a, b, union Sketch
		for range 3000 {
			x := d.draw(rng)
			mustAdd(t, &union, x)
			if rng.IntN(4) == 0 {
				mustAdd(t, &a, x)
			} else {
				mustAdd(t, &b, x)
			}
		}
		a.Merge(&b)
		if diff := compare(&a, &union); diff != "" {
			t.Errorf("%s: merged sketch differs from union: %s", d.name, diff)
		}
		var empty Sketch
		empty.Merge(&union)
		empty.Merge(nil)
		if diff := compare(&empty, &union); diff != "" {
			t.Errorf("%s: merge into empty: %s", d.name, diff)
		}
	}
}

func TestMergeSelf(t *testing.T) {
	var s, want Sketch
	for _, x := range []float64{0, 1, 2, 2, 3600} {
		mustAdd(t, &s, x)
		mustAdd(t, &want, x)
		mustAdd(t, &want, x)
	}
	s.Merge(&s)
	if diff := compare(&s, &want); diff != "" {
		t.Error(diff)
	}
}

func TestAddThenRemoveIsEmpty(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var s Sketch
	values := make([]float64, 5000)
	for i := range values {
		values[i] = distributions[i%len(distributions)].draw(rng)
		mustAdd(t, &s, values[i])
	}
	rng.Shuffle(len(values), func(i, j int) { values[i], values[j] = values[j], values[i] })
	for _, x := range values {
		if err := s.Remove(x); err != nil {
			t.Fatalf("Remove(%v): %v", x, err)
		}
	}
	if s.Count() != 0 || len(slices.Collect(keys(&s))) != 0 {
		t.Fatalf("after removing everything: Count = %d, bins = %v", s.Count(), slices.Collect(keys(&s)))
	}
	if _, ok := s.Quantile(0.5); ok {
		t.Error("Quantile of an empty sketch reported ok")
	}
}

func TestRejections(t *testing.T) {
	var s Sketch
	mustAdd(t, &s, 60)
	mustAdd(t, &s, 0)
	before := fmt.Sprint(slices.Collect(keys(&s)), s.Count())
	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"add NaN", s.Add(math.NaN()), ErrInvalidValue},
		{"add negative", s.Add(-1), ErrInvalidValue},
		{"add +Inf", s.Add(math.Inf(1)), ErrInvalidValue},
		{"add above MaxValue", s.Add(MaxValue * 2), ErrInvalidValue},
		{"remove never added", s.Remove(3600), ErrNegativeCount},
		{"remove NaN", s.Remove(math.NaN()), ErrInvalidValue},
		{"bin below ZeroBin", s.AddBin(-2, 1), ErrInvalidValue},
		{"bin above MaxBin", s.AddBin(MaxBin+1, 1), ErrInvalidValue},
		{"subtract too much", s.AddBin(Bin(60), -2), ErrNegativeCount},
		{"subtract from empty bin", s.AddBin(7, -1), ErrNegativeCount},
	} {
		if !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: error %v, want %v", tc.name, tc.err, tc.want)
		}
	}
	if after := fmt.Sprint(slices.Collect(keys(&s)), s.Count()); after != before {
		t.Errorf("rejected calls changed the sketch: %s, was %s", after, before)
	}
}

// TestAddBin loads stored rows and subtracts a case's old contribution.
func TestAddBin(t *testing.T) {
	var s Sketch
	for _, row := range []struct {
		k int
		n int64
	}{{410, 3}, {ZeroBin, 2}, {35, 5}, {410, 1}, {35, 0}} {
		if err := s.AddBin(row.k, row.n); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddBin(35, -5); err != nil {
		t.Fatal(err)
	}
	var got []string
	for k, n := range s.Bins() {
		got = append(got, fmt.Sprintf("%d:%d", k, n))
	}
	if want := []string{"-1:2", "410:4"}; !slices.Equal(got, want) {
		t.Errorf("Bins = %v, want %v", got, want)
	}
	if s.Count() != 6 {
		t.Errorf("Count = %d, want 6", s.Count())
	}
	// Ranks 1-2 are zeros, 3-6 are in bin 410: rank(0.5·6) = 3.
	for q, want := range map[float64]float64{0: 0, 0.33: 0, 0.5: Value(410), 1: Value(410)} {
		if got, _ := s.Quantile(q); got != want {
			t.Errorf("Quantile(%v) = %v, want %v", q, got, want)
		}
	}
}

func TestOrderIndependence(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	values := make([]float64, 4000)
	for i := range values {
		values[i] = distributions[rng.IntN(len(distributions))].draw(rng)
	}
	var first Sketch
	for _, x := range values {
		mustAdd(t, &first, x)
	}
	for range 5 {
		rng.Shuffle(len(values), func(i, j int) { values[i], values[j] = values[j], values[i] })
		var s Sketch
		for _, x := range values {
			mustAdd(t, &s, x)
		}
		if diff := compare(&s, &first); diff != "" {
			t.Fatal(diff)
		}
	}
}

func BenchmarkAdd(b *testing.B) {
	rng := rand.New(rand.NewPCG(11, 12))
	values := make([]float64, 1<<16)
	for i := range values {
		values[i] = distributions[0].draw(rng)
	}
	var s Sketch
	b.ResetTimer()
	for i := range b.N {
		if err := s.Add(values[i&(len(values)-1)]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkQuantile(b *testing.B) {
	rng := rand.New(rand.NewPCG(13, 14))
	var s Sketch
	for range 1_000_000 {
		if err := s.Add(distributions[0].draw(rng)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(slices.Collect(keys(&s)))), "bins")
	b.ResetTimer()
	for range b.N {
		if _, ok := s.Quantile(0.9); !ok {
			b.Fatal("empty")
		}
	}
}

// within reports whether got is within relative error α of want, allowing
// float64 rounding at bin boundaries.
func within(got, want float64) bool {
	return math.Abs(got-want) <= (RelativeAccuracy+1e-12)*want
}

func mustAdd(t *testing.T, s *Sketch, x float64) {
	t.Helper()
	if err := s.Add(x); err != nil {
		t.Fatal(err)
	}
}

func keys(s *Sketch) func(func(int) bool) {
	return func(yield func(int) bool) {
		for k := range s.Bins() {
			if !yield(k) {
				return
			}
		}
	}
}

// compare describes how a's bins differ from b's, or returns "".
func compare(a, b *Sketch) string {
	type row struct {
		k int
		n int64
	}
	var ra, rb []row
	for k, n := range a.Bins() {
		ra = append(ra, row{k, n})
	}
	for k, n := range b.Bins() {
		rb = append(rb, row{k, n})
	}
	if !slices.Equal(ra, rb) || a.Count() != b.Count() {
		return fmt.Sprintf("count %d bins %v, want count %d bins %v", a.Count(), ra, b.Count(), rb)
	}
	return ""
}

// binsOf lists a sketch's bins as stored pairs.
func binsOf(s *Sketch) [][2]int64 {
	var out [][2]int64
	for k, n := range s.Bins() {
		out = append(out, [2]int64{int64(k), n})
	}
	return out
}

// TestMergeStoredAndInPlace: merging stored bins, and merging a sketch
// whose bins are all present (done in place), give what adding the same
// values one by one gives, with and without new bins; invalid stored bins
// are refused and leave the sketch unchanged.
func TestMergeStoredAndInPlace(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for trial := 0; trial < 300; trial++ {
		var a, b, want Sketch
		for i := rng.IntN(40); i > 0; i-- {
			x := rng.Float64() * 1e4
			a.Add(x)
			want.Add(x)
		}
		for i := rng.IntN(40); i > 0; i-- {
			x := rng.Float64() * 1e4
			if trial%2 == 0 && a.Count() > 0 {
				// Only bins a already has: the in-place path.
				x = Value(int(binsOf(&a)[rng.IntN(len(binsOf(&a)))][0]))
			}
			b.Add(x)
			want.Add(x)
		}
		viaStored, viaMerge := a, a
		viaStored.bins = append([]bin(nil), a.bins...)
		viaMerge.bins = append([]bin(nil), a.bins...)
		if err := viaStored.MergeStored(binsOf(&b)); err != nil {
			t.Fatal(err)
		}
		viaMerge.Merge(&b)
		for name, got := range map[string]*Sketch{"MergeStored": &viaStored, "Merge": &viaMerge} {
			if got.Count() != want.Count() || !reflect.DeepEqual(binsOf(got), binsOf(&want)) {
				t.Fatalf("trial %d %s: %v (%d), want %v (%d)", trial, name, binsOf(got), got.Count(), binsOf(&want), want.Count())
			}
		}
	}
	var s Sketch
	s.Add(60)
	before := binsOf(&s)
	for _, bad := range [][][2]int64{{{5, 1}, {5, 1}}, {{7, 1}, {3, 1}}, {{5, 0}}, {{5, -2}}, {{ZeroBin - 1, 1}}, {{int64(MaxBin) + 1, 1}}} {
		if err := s.MergeStored(bad); !errors.Is(err, ErrInvalidValue) || !reflect.DeepEqual(binsOf(&s), before) || s.Count() != 1 {
			t.Errorf("%v: %v, sketch %v", bad, err, binsOf(&s))
		}
	}
	s.Merge(&s) // into itself: doubles
	if s.Count() != 2 || binsOf(&s)[0][1] != 2 {
		t.Errorf("self merge: %v", binsOf(&s))
	}
}

// TestDense: summing stored bins and sketches densely gives what merging
// them gives; invalid stored bins are refused and leave the sum unchanged.
func TestDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	var d Dense
	var want Sketch
	for i := 0; i < 50; i++ {
		var s Sketch
		for j := rng.IntN(30); j > 0; j-- {
			s.Add(math.Exp(rng.Float64() * 20))
		}
		if rng.IntN(2) == 0 {
			if err := d.AddStored(binsOf(&s)); err != nil {
				t.Fatal(err)
			}
		} else {
			d.Merge(&s)
		}
		want.Merge(&s)
	}
	got := d.Sketch()
	if got.Count() != want.Count() || !reflect.DeepEqual(binsOf(got), binsOf(&want)) {
		t.Fatalf("dense sum %v (%d), merged %v (%d)", binsOf(got), got.Count(), binsOf(&want), want.Count())
	}
	before := binsOf(d.Sketch())
	if err := d.AddStored([][2]int64{{3, 1}, {2, 1}}); !errors.Is(err, ErrInvalidValue) || !reflect.DeepEqual(binsOf(d.Sketch()), before) {
		t.Errorf("out of order: %v", err)
	}
	var empty Dense
	if s := empty.Sketch(); s.Count() != 0 || len(binsOf(s)) != 0 {
		t.Errorf("empty sum: %v", binsOf(s))
	}
}
