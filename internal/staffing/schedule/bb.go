package schedule

import (
	"fmt"
	"math"
	"sort"
)

// cover is the integer covering problem being solved.
type cover struct {
	m     int
	cols  [][]int // intervals covered by each column (an interval may repeat for long tours)
	cost  []float64
	need  []int
	order []int   // columns by decreasing cost, for greedy dropping
	unit  float64 // every cost is a multiple of unit (0 when not)
}

// solveCover returns a least-cost integer cover (or the best found within
// maxNodes), the LP lower bound, whether optimality was proved and the
// number of nodes explored.
func solveCover(m int, shifts []Shift, need []int, maxNodes int) ([]int, float64, bool, int, error) {
	cv := &cover{m: m, need: need, cols: make([][]int, len(shifts)), cost: make([]float64, len(shifts))}
	r := make([]float64, m)
	for i, v := range need {
		r[i] = float64(v)
	}
	for j, s := range shifts {
		cv.cols[j], cv.cost[j] = s.covers, s.Cost
	}
	cv.unit = costUnit(cv.cost)
	cv.order = make([]int, len(shifts))
	for j := range cv.order {
		cv.order[j] = j
	}
	sort.SliceStable(cv.order, func(a, b int) bool { return cv.cost[cv.order[a]] > cv.cost[cv.order[b]] })

	root := newTableau(m, cv.cols, nil, cv.cost, r)
	if err := root.solve(); err != nil {
		return nil, 0, false, 0, fmt.Errorf("solving the covering LP: %w", err)
	}
	bound := root.z0
	if cv.unit > 0 {
		bound = math.Ceil(bound/cv.unit-1e-6) * cv.unit
	}
	bb := &branchBound{cv: cv, maxNodes: maxNodes}
	bb.best = cv.round(root.values())
	bb.bestCost = cv.value(bb.best)
	if r := cv.repair(root.values()); cv.value(r) < bb.bestCost-1e-9 {
		bb.best, bb.bestCost = r, cv.value(r)
	}
	// Rounding and branch and bound share a work budget, so a large,
	// highly fractional instance returns its best roster in bounded time.
	root.budget = *root.work + workBudget
	if !bb.prunes(root.z0) {
		if d := cv.dive(root.clone()); d != nil && cv.value(d) < bb.bestCost-1e-9 {
			bb.best, bb.bestCost = d, cv.value(d)
		}
	}
	bb.explore(root)
	return bb.best, bound, !bb.cut, bb.nodes, nil
}

// workBudget bounds the multiply-adds spent on rounding and branch and bound
// after the root LP: about a third of a second on one core.
const workBudget = 300_000_000

// costUnit returns the largest u such that every cost is a whole multiple
// of u, for costs given in whole cents at most; 0 when there is none.
func costUnit(cost []float64) float64 {
	var g int64
	for _, c := range cost {
		cents := math.Round(c * 100)
		if math.Abs(cents-c*100) > 1e-6 || cents > 1e15 {
			return 0
		}
		g = gcd(g, int64(cents))
	}
	return float64(g) / 100
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func (cv *cover) value(x []int) float64 {
	var v float64
	for j, n := range x {
		v += float64(n) * cv.cost[j]
	}
	return v
}

// round makes an integer cover from an LP solution: round every value up
// (which keeps coverage, as every coefficient is non-negative), then drop
// shifts, most expensive first, while coverage still holds.
func (cv *cover) round(x []float64) []int {
	v := make([]int, len(x))
	cov := make([]int, cv.m)
	for j, f := range x {
		v[j] = int(math.Ceil(f - 1e-7))
		if v[j] == 0 {
			continue
		}
		for _, i := range cv.cols[j] {
			cov[i] += v[j]
		}
	}
	for {
		dropped := false
		for _, j := range cv.order {
			for v[j] > 0 && cv.canDrop(j, cov) {
				v[j]--
				for _, i := range cv.cols[j] {
					cov[i]--
				}
				dropped = true
			}
		}
		if !dropped {
			return v
		}
	}
}

// repair makes an integer cover from an LP solution the other way: round
// every value down, then add the shift that covers the most short
// intervals per unit of cost until nothing is short, then drop shifts that
// are not needed.
func (cv *cover) repair(x []float64) []int {
	v := make([]int, len(x))
	cov := make([]int, cv.m)
	for j, f := range x {
		v[j] = int(math.Floor(f + 1e-7))
		for _, i := range cv.cols[j] {
			cov[i] += v[j]
		}
	}
	for {
		best, bestRate := -1, 0.0
		for j, rows := range cv.cols {
			short := 0
			for _, i := range rows {
				if cov[i] < cv.need[i] {
					short++
				}
			}
			if short == 0 {
				continue
			}
			rate := float64(short) / math.Max(cv.cost[j], 1e-12)
			if rate > bestRate*(1+1e-12) {
				best, bestRate = j, rate
			}
		}
		if best < 0 {
			break
		}
		v[best]++
		for _, i := range cv.cols[best] {
			cov[i]++
		}
	}
	for {
		dropped := false
		for _, j := range cv.order {
			for v[j] > 0 && cv.canDrop(j, cov) {
				v[j]--
				for _, i := range cv.cols[j] {
					cov[i]--
				}
				dropped = true
			}
		}
		if !dropped {
			return v
		}
	}
}

func (cv *cover) canDrop(j int, cov []int) bool {
	// An interval a column covers several times loses that many heads.
	for _, i := range cv.cols[j] {
		cov[i]--
	}
	ok := true
	for _, i := range cv.cols[j] {
		if cov[i] < cv.need[i] {
			ok = false
		}
	}
	for _, i := range cv.cols[j] {
		cov[i]++
	}
	return ok
}

// dive rounds the LP solution by fixing variables at their next integer
// or above and re-solving the LP (a warm start), until the solution is
// integral; then it drops shifts that are not needed. It returns nil if the
// LP fails or the budget runs out on the way.
func (cv *cover) dive(tb *tableau) []int {
	for {
		x := tb.values()
		j, best := -1, -1.0
		for k, v := range x {
			f := v - math.Floor(v)
			if f > 1e-7 && f < 1-1e-7 && f > best {
				j, best = k, f
			}
		}
		if j < 0 {
			return cv.round(x)
		}
		// Round up at once every value at least half way to its ceiling
		// (fewer, larger steps keep the dive within its budget on a full
		// week of tours; smaller ones found worse rosters in testing).
		for k, v := range x {
			if f := v - math.Floor(v); f >= 0.5 && f < 1-1e-7 || k == j {
				tb.raiseLower(k, math.Ceil(v))
			}
		}
		if err := tb.solve(); err != nil {
			return nil
		}
	}
}

type branchBound struct {
	cv       *cover
	best     []int
	bestCost float64
	nodes    int
	maxNodes int
	cut      bool // the node budget ran out
}

// prunes reports whether a node with LP value z cannot beat the incumbent.
func (bb *branchBound) prunes(z float64) bool {
	if u := bb.cv.unit; u > 0 {
		z = math.Ceil(z/u-1e-6) * u
	}
	return z >= bb.bestCost-1e-6*math.Max(1, math.Abs(bb.bestCost))
}

// explore searches below a solved node depth first, the branch that rounds
// up first.
func (bb *branchBound) explore(tb *tableau) {
	bb.nodes++
	if bb.prunes(tb.z0) {
		return
	}
	x := tb.values()
	j, frac := -1, 0.0
	for k, v := range x {
		f := v - math.Floor(v)
		if f > 1e-7 && f < 1-1e-7 {
			// Branch on the most fractional value.
			if d := math.Min(f, 1-f); d > frac+1e-12 {
				j, frac = k, d
			}
		}
	}
	if cand := bb.cv.round(x); bb.cv.value(cand) < bb.bestCost-1e-9 {
		bb.best, bb.bestCost = cand, bb.cv.value(cand)
	}
	if j < 0 {
		return // integral: round returned it unchanged
	}
	for _, up := range []bool{true, false} {
		if bb.nodes >= bb.maxNodes {
			bb.cut = true
			return
		}
		child := tb.clone()
		if up {
			child.raiseLower(j, math.Ceil(x[j]))
		} else {
			child.addUpper(j, math.Floor(x[j]))
		}
		if err := child.solve(); err != nil {
			// Infeasible branches end here; a simplex that ran out of
			// budget or did not converge leaves the node unexplored, so
			// optimality is not claimed.
			if err != errInfeasible {
				bb.cut = true
			}
			if err == errBudget {
				return
			}
			continue
		}
		bb.explore(child)
		if bb.prunes(tb.z0) {
			return
		}
	}
}
