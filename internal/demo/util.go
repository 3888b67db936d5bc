package demo

import (
	"math"
	"math/rand/v2"

	"github.com/watchfloor/watchfloor/internal/model"
)

// Durations in milliseconds, the simulation's time unit.
const (
	second = int64(1000)
	minute = 60 * second
	hour   = 60 * minute
	day    = 24 * hour
)

// lognorm draws a lognormal duration in ms with the given median (ms) and
// log-scale sigma, at least one second.
func lognorm(rng *rand.Rand, median, sigma float64) int64 {
	return max(second, int64(median*math.Exp(sigma*rng.NormFloat64())))
}

// aliasTable draws indices with given weights in constant time (Walker's
// alias method).
type aliasTable struct {
	prob  []float64
	alias []int32
}

func newAliasTable(w []float64) aliasTable {
	n := len(w)
	var sum float64
	for _, v := range w {
		sum += v
	}
	t := aliasTable{prob: make([]float64, n), alias: make([]int32, n)}
	scaled := make([]float64, n)
	var small, large []int32
	for i, v := range w {
		scaled[i] = v * float64(n) / sum
		if scaled[i] < 1 {
			small = append(small, int32(i))
		} else {
			large = append(large, int32(i))
		}
	}
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		t.prob[s], t.alias[s] = scaled[s], l
		scaled[l] -= 1 - scaled[s]
		if scaled[l] < 1 {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	for _, i := range large {
		t.prob[i], t.alias[i] = 1, i
	}
	for _, i := range small { // rounding leftovers
		t.prob[i], t.alias[i] = 1, i
	}
	return t
}

func (t *aliasTable) draw(rng *rand.Rand) int {
	u := rng.Float64() * float64(len(t.prob))
	i := int(u)
	if u-float64(i) < t.prob[i] {
		return i
	}
	return int(t.alias[i])
}

// pending is a case snapshot, a case event or (in live mode) a new state
// of an alert, waiting for its time to come.
type pending struct {
	at    int64
	seq   uint64
	c     *simCase
	snap  *model.Case
	ev    *model.CaseEvent
	alert *model.Alert
}

// pendingQueue is a min-heap on (at, seq), so records with equal times come
// out in the order they were scheduled.
type pendingQueue []pending

func (q pendingQueue) less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}

func (q *pendingQueue) push(p pending) {
	*q = append(*q, p)
	h := *q
	i := len(h) - 1
	for i > 0 {
		parent := (i - 1) / 2
		if !h.less(i, parent) {
			break
		}
		h[i], h[parent] = h[parent], h[i]
		i = parent
	}
}

func (q *pendingQueue) pop() pending {
	h := *q
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h[last] = pending{}
	h = h[:last]
	i := 0
	for {
		l := 2*i + 1
		if l >= len(h) {
			break
		}
		m := l
		if r := l + 1; r < len(h) && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	*q = h
	return top
}
