// Package sketch is a mergeable quantile sketch for durations with a
// guaranteed relative error, used by the KPI rollups to report the median and
// p90 of MTTA, MTTR, … over millions of cases without keeping every value.
//
// It follows DDSketch (Masson, Rim and Lee, VLDB 2019). Values are
// non-negative durations in float64 seconds. With γ = (1+α)/(1−α), a value
// x ≥ MinValue falls in bin k = ceil(log_γ x), the interval (γ^(k−1), γ^k],
// and the bin is reported as its representative Value(k) = 2γ^k/(γ+1). For
// every x in the bin that representative is within relative error α:
//
//	(γ^k − Value(k)) / γ^k         = (γ−1)/(γ+1) = α  (top of the bin)
//	(Value(k) − γ^(k−1)) / γ^(k−1) = (γ−1)/(γ+1) = α  (bottom of the bin)
//
// and in between the error is smaller. Binning is monotone, so the value of
// rank r in the sketch's bin order is in the same bin as the value of rank r
// in the sorted data: Quantile is within α of ExactQuantile, up to float64
// rounding (about 1e-15 relative, at bin boundaries).
//
// Values below MinValue (one second), including 0, go to a dedicated zero bin
// that is reported as exactly 0: sub-second durations are reported as 0.
//
// The accuracy is fixed at α = RelativeAccuracy rather than configurable
// because stored bin indexes (one row per bucket and bin, with an additive
// count) are only meaningful under one mapping. Durations from 1 s to a year
// occupy at most about 860 bins, whatever the number of values.
//
// A Sketch is not safe for concurrent use.
package sketch

import (
	"errors"
	"fmt"
	"iter"
	"math"
	"slices"
	"time"
)

const (
	// RelativeAccuracy is α, the bound on the relative error of every
	// reported value at or above MinValue.
	RelativeAccuracy = 0.01

	// MinValue is the smallest value, in seconds, with its own bin; smaller
	// values are counted in ZeroBin and reported as 0.
	MinValue = 1.0

	// ZeroBin is the bin of values below MinValue. Every other bin is ≥ 0.
	ZeroBin = -1
)

// Gamma is γ = (1+α)/(1−α), the ratio between consecutive bin boundaries.
const Gamma = (1 + RelativeAccuracy) / (1 - RelativeAccuracy)

var (
	lnGamma = math.Log(Gamma)

	// MaxValue is the largest accepted value: the longest time.Duration, in
	// seconds (about 292 years). time.Time.Sub saturates there, so no
	// duration computed from two timestamps exceeds it.
	MaxValue = time.Duration(math.MaxInt64).Seconds()

	// MaxBin is the bin of MaxValue, the highest valid bin.
	MaxBin = Bin(MaxValue)
)

var (
	// ErrInvalidValue is returned for a value that is NaN, negative or
	// greater than MaxValue, and for a bin outside [ZeroBin, MaxBin].
	ErrInvalidValue = errors.New("sketch: invalid value")

	// ErrNegativeCount is returned when a removal would make a bin's count
	// negative, i.e. it removes something that was never added.
	ErrNegativeCount = errors.New("sketch: count would become negative")
)

// Bin returns the bin of x: ZeroBin when x < MinValue (and for NaN or negative
// x), otherwise ceil(log_γ x). Bin 0 holds only MinValue itself. Values above
// MaxValue are given MaxBin.
func Bin(x float64) int {
	if !(x >= MinValue) {
		return ZeroBin
	}
	x = min(x, MaxValue)
	return int(math.Ceil(math.Log(x) / lnGamma))
}

// Value returns the representative value of bin k: 0 for ZeroBin (and any
// negative k), otherwise 2γ^k/(γ+1), which equals (1−α)·γ^k.
func Value(k int) float64 {
	if k < 0 {
		return 0
	}
	return (1 - RelativeAccuracy) * math.Pow(Gamma, float64(k))
}

// Rank returns the 1-based nearest rank of quantile q among n values,
// ceil(q·n) clamped to [1, n], so q=0 is the minimum, q=1 the maximum and
// q=0.5 of an even count the lower middle value. A product q·n within a
// relative 1e-12 of an integer is taken as that integer, so a decimal q that
// float64 cannot represent exactly (0.07·100 = 7.000000000000001) behaves as
// written. It reports false when n < 1 or q is not in [0, 1].
func Rank(n int64, q float64) (int64, bool) {
	if n < 1 || !(q >= 0 && q <= 1) {
		return 0, false
	}
	p := q * float64(n)
	r := math.Ceil(p)
	if r-p > 0 && p-(r-1) <= p*1e-12 {
		r--
	}
	return min(max(int64(r), 1), n), true
}

// ExactQuantile returns the value of rank Rank(len(sorted), q) in sorted,
// which must be in ascending order. It is the reference the sketch
// approximates, and is exact for small sets. It returns NaN when sorted is
// empty or q is not in [0, 1].
func ExactQuantile(sorted []float64, q float64) float64 {
	r, ok := Rank(int64(len(sorted)), q)
	if !ok {
		return math.NaN()
	}
	return sorted[r-1]
}

// bin is one non-empty bin of a Sketch.
type bin struct {
	k int
	n int64
}

// Sketch holds sparse counts per bin. The zero value is an empty sketch ready
// for use.
type Sketch struct {
	bins  []bin // ascending by k; every n > 0
	count int64
}

// Add counts the duration x, in seconds. It returns ErrInvalidValue for NaN,
// negative values and values above MaxValue; callers clamp or skip those.
func (s *Sketch) Add(x float64) error {
	if err := check(x); err != nil {
		return err
	}
	s.add(Bin(x), 1)
	return nil
}

// Remove uncounts the duration x, reversing an earlier Add(x). It returns
// ErrNegativeCount, leaving the sketch unchanged, when x's bin is empty.
func (s *Sketch) Remove(x float64) error {
	if err := check(x); err != nil {
		return err
	}
	return s.AddBin(Bin(x), -1)
}

// AddBin adds count, which may be negative, to bin k, as when loading stored
// rows or subtracting them. It returns ErrInvalidValue for a bin outside
// [ZeroBin, MaxBin] and ErrNegativeCount when the bin's count would drop
// below zero; in both cases the sketch is unchanged.
func (s *Sketch) AddBin(k int, count int64) error {
	if k < ZeroBin || k > MaxBin {
		return fmt.Errorf("add %d to bin %d: %w", count, k, ErrInvalidValue)
	}
	if count < 0 {
		i, found := s.find(k)
		if !found || s.bins[i].n < -count {
			return fmt.Errorf("add %d to bin %d: %w", count, k, ErrNegativeCount)
		}
	}
	s.add(k, count)
	return nil
}

// Merge adds every count of o to s. o may be s itself.
func (s *Sketch) Merge(o *Sketch) {
	if o == nil || len(o.bins) == 0 {
		return
	}
	if s != o && s.addInPlace(o) {
		return
	}
	out := make([]bin, 0, len(s.bins)+len(o.bins))
	a, b := s.bins, o.bins
	for len(a) > 0 && len(b) > 0 {
		switch {
		case a[0].k < b[0].k:
			out, a = append(out, a[0]), a[1:]
		case a[0].k > b[0].k:
			out, b = append(out, b[0]), b[1:]
		default:
			out = append(out, bin{a[0].k, a[0].n + b[0].n})
			a, b = a[1:], b[1:]
		}
	}
	out = append(append(out, a...), b...)
	s.count += o.count
	s.bins = out
}

// MergeStored adds bins stored as (bin, count) pairs, in ascending bin
// order with positive counts as Bins yields them, without building a
// sketch of them first. It returns ErrInvalidValue, leaving s unchanged,
// for pairs out of order, out of range or not positive.
func (s *Sketch) MergeStored(bins [][2]int64) error {
	if err := checkStored(bins); err != nil {
		return err
	}
	var total int64
	present := true // every stored bin is already in s
	j := 0
	for _, b := range bins {
		total += b[1]
		for j < len(s.bins) && s.bins[j].k < int(b[0]) {
			j++
		}
		present = present && j < len(s.bins) && s.bins[j].k == int(b[0])
	}
	if len(bins) == 0 {
		return nil
	}
	if present {
		j = 0
		for _, b := range bins {
			for s.bins[j].k < int(b[0]) {
				j++
			}
			s.bins[j].n += b[1]
		}
		s.count += total
		return nil
	}
	out := make([]bin, 0, len(s.bins)+len(bins))
	a := s.bins
	for _, b := range bins {
		k := int(b[0])
		for len(a) > 0 && a[0].k < k {
			out, a = append(out, a[0]), a[1:]
		}
		if len(a) > 0 && a[0].k == k {
			out, a = append(out, bin{k, a[0].n + b[1]}), a[1:]
		} else {
			out = append(out, bin{k, b[1]})
		}
	}
	s.bins = append(out, a...)
	s.count += total
	return nil
}

// checkStored checks stored (bin, count) pairs: ascending, in range,
// positive.
func checkStored(bins [][2]int64) error {
	for i, b := range bins {
		if b[0] < int64(ZeroBin) || b[0] > int64(MaxBin) || b[1] <= 0 || (i > 0 && b[0] <= bins[i-1][0]) {
			return fmt.Errorf("stored bin %d (count %d) at %d: %w", b[0], b[1], i, ErrInvalidValue)
		}
	}
	return nil
}

// Dense sums many sketches in an array indexed by bin: each added bin
// costs one addition, with no search or merge of sorted lists. It is for
// adding up many stored sketches into one; the zero value is an empty sum.
type Dense struct {
	n     []int64 // n[k-ZeroBin] is bin k's count
	count int64
}

// AddStored adds bins stored as Bins yields them, with MergeStored's
// checks; it returns ErrInvalidValue, leaving d unchanged, for pairs out of
// order, out of range or not positive.
func (d *Dense) AddStored(bins [][2]int64) error {
	if err := checkStored(bins); err != nil {
		return err
	}
	if len(bins) > 0 && d.n == nil {
		d.n = make([]int64, MaxBin-ZeroBin+1)
	}
	for _, b := range bins {
		d.n[b[0]-int64(ZeroBin)] += b[1]
		d.count += b[1]
	}
	return nil
}

// Merge adds s.
func (d *Dense) Merge(s *Sketch) {
	if s == nil || len(s.bins) == 0 {
		return
	}
	if d.n == nil {
		d.n = make([]int64, MaxBin-ZeroBin+1)
	}
	for _, b := range s.bins {
		d.n[b.k-ZeroBin] += b.n
	}
	d.count += s.count
}

// Sketch returns the sum as a sketch.
func (d *Dense) Sketch() *Sketch {
	s := &Sketch{count: d.count}
	for i, n := range d.n {
		if n != 0 {
			s.bins = append(s.bins, bin{i + ZeroBin, n})
		}
	}
	return s
}

// addInPlace adds o's counts to s without allocating when every bin of o
// is already in s (the common case when many sketches are merged into
// one), and reports whether it did.
func (s *Sketch) addInPlace(o *Sketch) bool {
	i := 0
	for _, b := range o.bins {
		for i < len(s.bins) && s.bins[i].k < b.k {
			i++
		}
		if i == len(s.bins) || s.bins[i].k != b.k {
			return false
		}
	}
	i = 0
	for _, b := range o.bins {
		for s.bins[i].k < b.k {
			i++
		}
		s.bins[i].n += b.n
	}
	s.count += o.count
	return true
}

// Count returns the number of values in the sketch.
func (s *Sketch) Count() int64 { return s.count }

// Quantile returns the representative value of the bin holding the value of
// rank Rank(Count(), q), the same rank ExactQuantile uses. It reports false
// when the sketch is empty or q is not in [0, 1].
func (s *Sketch) Quantile(q float64) (float64, bool) {
	r, ok := Rank(s.count, q)
	if !ok {
		return 0, false
	}
	var cum int64
	for _, b := range s.bins {
		cum += b.n
		if cum >= r {
			return Value(b.k), true
		}
	}
	panic("sketch: bin counts do not add up to Count") // unreachable: count is their sum
}

// Bins yields every non-empty bin and its count in ascending bin order,
// ZeroBin first, for storage as one row per bin. The sketch must not be
// changed during the iteration.
func (s *Sketch) Bins() iter.Seq2[int, int64] {
	return func(yield func(int, int64) bool) {
		for _, b := range s.bins {
			if !yield(b.k, b.n) {
				return
			}
		}
	}
}

// add applies count to bin k, inserting or deleting the bin as needed; the
// caller has checked that the result is not negative.
func (s *Sketch) add(k int, count int64) {
	if count == 0 {
		return
	}
	if n := len(s.bins); count > 0 && (n == 0 || s.bins[n-1].k < k) {
		// Past the last bin, as when loading stored bins in order.
		s.bins = append(s.bins, bin{k, count})
		s.count += count
		return
	}
	i, found := s.find(k)
	switch {
	case !found:
		s.bins = slices.Insert(s.bins, i, bin{k, count})
	case s.bins[i].n+count == 0:
		s.bins = slices.Delete(s.bins, i, i+1)
	default:
		s.bins[i].n += count
	}
	s.count += count
}

// find returns the position of bin k in s.bins, or where it would be
// inserted, and whether it is there.
func (s *Sketch) find(k int) (int, bool) {
	return slices.BinarySearchFunc(s.bins, k, func(b bin, k int) int { return b.k - k })
}

// check reports whether x is a value Add accepts.
func check(x float64) error {
	if !(x >= 0 && x <= MaxValue) {
		return fmt.Errorf("value %v: %w", x, ErrInvalidValue)
	}
	return nil
}
