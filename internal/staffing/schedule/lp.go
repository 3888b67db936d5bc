package schedule

import (
	"errors"
	"math"
)

// The covering LP
//
//	minimise cᵀx  subject to  A·x ≥ r,  x ≥ 0
//
// with c ≥ 0 is solved by the dual simplex method on a dense Tucker
// tableau. Starting from the surplus basis (x = 0) is dual feasible because
// every cost is non-negative, so no phase one is needed, and a bound added
// by branch and bound is one more row, after which the dual simplex simply
// continues: the tableau of a parent node is the warm start of its
// children.
//
// Tableau convention: each row i expresses a basic variable as
//
//	x_B(i) = β_i + Σ_k T[i][k]·x_N(k)
//
// over the nonbasic variables x_N(k) (all at zero), and the objective as
// z = z0 + Σ_k d_k·x_N(k). The basis is optimal when every β_i ≥ 0 (primal
// feasible); the dual simplex keeps every d_k ≥ 0 throughout.

const (
	lpEps      = 1e-9
	pivotTol   = 1e-7
	maxPivots  = 200000
	noVariable = -1
)

var (
	errInfeasible = errors.New("infeasible")
	errPivots     = errors.New("the simplex did not converge")
	errBudget     = errors.New("the work budget ran out")
)

type tableau struct {
	rows, cols int
	beta       []float64 // per row
	t          []float64 // rows × cols, row-major
	d          []float64 // reduced costs, per column
	z0         float64
	rowVar     []int // variable basic in each row
	colVar     []int // variable nonbasic in each column
	nStruct    int   // variables 0…nStruct−1 are the x_j
	nextVar    int   // next label for a new row's slack
	// lower[j] is a lower bound shifted out of x_j: the tableau's variable
	// is x_j − lower[j] ≥ 0, so raising a lower bound adds no row.
	lower []float64
	nz    []int // scratch: nonzero columns of the pivot row
	// work counts multiply-adds across a tableau and its clones; solve
	// stops with errBudget when it passes budget (0 = no limit).
	work   *int64
	budget int64
}

// newTableau sets up min cᵀx, A·x ≥ r with A given as, for each column, the
// rows it covers (a 0/1 matrix) and its coefficient there (mult, usually 1).
func newTableau(nRows int, cover [][]int, mult [][]float64, c, r []float64) *tableau {
	n := len(cover)
	tb := &tableau{rows: nRows, cols: n, nStruct: n, nextVar: n + nRows, work: new(int64)}
	tb.beta = make([]float64, nRows)
	tb.t = make([]float64, nRows*n)
	tb.d = append([]float64(nil), c...)
	tb.rowVar = make([]int, nRows)
	tb.colVar = make([]int, n)
	tb.lower = make([]float64, n)
	for i := 0; i < nRows; i++ {
		// surplus_i = −r_i + Σ_j a_ij x_j
		tb.beta[i] = -r[i]
		tb.rowVar[i] = n + i
	}
	for j, rows := range cover {
		tb.colVar[j] = j
		for k, i := range rows {
			v := 1.0
			if mult != nil {
				v = mult[j][k]
			}
			tb.t[i*n+j] += v
		}
	}
	return tb
}

func (tb *tableau) clone() *tableau {
	c := *tb
	c.beta = append(make([]float64, 0, len(tb.beta)+1), tb.beta...)
	c.t = append(make([]float64, 0, len(tb.t)+tb.cols), tb.t...)
	c.d = append([]float64(nil), tb.d...)
	c.rowVar = append(make([]int, 0, len(tb.rowVar)+1), tb.rowVar...)
	c.colVar = append([]int(nil), tb.colVar...)
	c.lower = append([]float64(nil), tb.lower...)
	c.nz = nil
	return &c
}

// solve runs the dual simplex to optimality.
func (tb *tableau) solve() error {
	for it := 0; it < maxPivots; it++ {
		if tb.budget > 0 && *tb.work > tb.budget {
			return errBudget
		}
		p, worst := -1, -lpEps
		for i, b := range tb.beta {
			if b < worst {
				p, worst = i, b
			}
		}
		if p < 0 {
			return nil
		}
		row := tb.t[p*tb.cols : (p+1)*tb.cols]
		// Harris' two-pass ratio test: find the largest step that keeps
		// every reduced cost above −lpEps, then, among the columns whose
		// ratio is within it, pivot on the largest element, which keeps
		// the tableau well conditioned on these highly degenerate problems.
		limit := math.Inf(1)
		for l, v := range row {
			if v > pivotTol {
				limit = math.Min(limit, (max(tb.d[l], 0)+lpEps)/v)
			}
		}
		if math.IsInf(limit, 1) {
			return errInfeasible
		}
		k, big := -1, 0.0
		for l, v := range row {
			if v > pivotTol && max(tb.d[l], 0)/v <= limit && (v > big || v == big && tb.colVar[l] < tb.colVar[k]) {
				k, big = l, v
			}
		}
		tb.pivot(p, k)
	}
	return errPivots
}

func (tb *tableau) pivot(p, k int) {
	n := tb.cols
	row := tb.t[p*n : (p+1)*n]
	piv := row[k]
	bp := -tb.beta[p] / piv
	tb.beta[p] = bp
	nz := tb.nz[:0]
	for l, v := range row {
		if v != 0 && l != k {
			row[l] = -v / piv
			nz = append(nz, l)
		}
	}
	tb.nz = nz
	*tb.work += int64(tb.rows) * int64(len(nz)+1)
	row[k] = 1 / piv
	for i := 0; i < tb.rows; i++ {
		if i == p {
			continue
		}
		ri := tb.t[i*n : (i+1)*n]
		f := ri[k]
		if f == 0 {
			continue
		}
		tb.beta[i] += f * bp
		for _, l := range nz {
			ri[l] += f * row[l]
		}
		ri[k] = f * row[k]
	}
	if f := tb.d[k]; f != 0 {
		tb.z0 += f * bp
		for _, l := range nz {
			if tb.d[l] += f * row[l]; tb.d[l] < 0 {
				tb.d[l] = 0 // within Harris' tolerance; keeps the basis dual feasible
			}
		}
		tb.d[k] = f * row[k]
	}
	tb.rowVar[p], tb.colVar[k] = tb.colVar[k], tb.rowVar[p]
}

// values returns the structural variables of the current basis.
func (tb *tableau) values() []float64 {
	x := append([]float64(nil), tb.lower...)
	for i, v := range tb.rowVar {
		if v < tb.nStruct {
			x[v] += max(0, tb.beta[i])
		}
	}
	return x
}

// find returns the row where variable v is basic, or its column.
func (tb *tableau) find(v int) (row, col int) {
	for i, w := range tb.rowVar {
		if w == v {
			return i, -1
		}
	}
	for k, w := range tb.colVar {
		if w == v {
			return -1, k
		}
	}
	return -1, -1
}

// raiseLower imposes x_j ≥ lo by shifting the variable: the tableau keeps
// its size, and the basis stays dual feasible.
func (tb *tableau) raiseLower(j int, lo float64) {
	delta := lo - tb.lower[j]
	if delta <= 0 {
		return
	}
	tb.lower[j] = lo
	row, col := tb.find(j)
	if row >= 0 {
		tb.beta[row] -= delta
		return
	}
	// Nonbasic: every basic variable and the objective move with it.
	for i := 0; i < tb.rows; i++ {
		tb.beta[i] += tb.t[i*tb.cols+col] * delta
	}
	tb.z0 += tb.d[col] * delta
}

// addUpper adds the row x_j ≤ hi: its slack hi − x_j expressed in the
// nonbasic variables.
func (tb *tableau) addUpper(j int, hi float64) {
	n := tb.cols
	newRow := make([]float64, n)
	beta := hi - tb.lower[j]
	if row, col := tb.find(j); row >= 0 {
		beta -= tb.beta[row]
		for k, v := range tb.t[row*n : (row+1)*n] {
			newRow[k] = -v
		}
	} else {
		newRow[col] = -1
	}
	tb.t = append(tb.t, newRow...)
	tb.beta = append(tb.beta, beta)
	tb.rowVar = append(tb.rowVar, tb.nextVar)
	tb.nextVar++
	tb.rows++
}
