package schedule

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize/convex/lp"
)

// bruteForce finds the least cost of an integer cover by trying every
// vector x with 0 ≤ x_j ≤ max need.
func bruteForce(m int, shifts []Shift, need []int) float64 {
	top := 0
	for _, v := range need {
		top = max(top, v)
	}
	n := len(shifts)
	x := make([]int, n)
	best := math.Inf(1)
	cov := make([]int, m)
	for {
		for i := range cov {
			cov[i] = 0
		}
		cost := 0.0
		for j, v := range x {
			cost += float64(v) * shifts[j].Cost
			for _, i := range shifts[j].covers {
				cov[i] += v
			}
		}
		ok := true
		for i := range cov {
			if cov[i] < need[i] {
				ok = false
				break
			}
		}
		if ok && cost < best {
			best = cost
		}
		k := 0
		for k < n && x[k] == top {
			x[k] = 0
			k++
		}
		if k == n {
			return best
		}
		x[k]++
	}
}

// smallProblem draws a random instance small enough for brute force: a
// cycle of one or two days in 3- or 4-hour intervals, two templates with a
// few allowed starts, random needs 0–3 and random whole costs.
func smallProblem(rng *rand.Rand) Problem {
	p := Problem{Days: 1 + rng.IntN(2)}
	if rng.IntN(2) == 0 {
		p.Interval = 3 * time.Hour
	} else {
		p.Interval = 4 * time.Hour
	}
	perDay := int(24 * time.Hour / p.Interval)
	pickStarts := func(k int) []string {
		var out []string
		for _, i := range rng.Perm(perDay)[:k] {
			out = append(out, clock(time.Duration(i)*p.Interval))
		}
		return out
	}
	cols := 0
	for len(p.Templates) < 2 {
		k := 1 + rng.IntN(2)
		if cols+k*p.Days > 8 {
			k = 1
		}
		t := Template{
			Name:   []string{"short", "long"}[len(p.Templates)],
			Length: time.Duration(1+len(p.Templates)+rng.IntN(2)) * p.Interval,
			Starts: pickStarts(k),
			Cost:   float64(500+rng.IntN(2000)) / 100,
		}
		if p.Days == 2 && rng.IntN(2) == 0 {
			t.WorkDays = 2
		}
		cols += k * p.Days
		p.Templates = append(p.Templates, t)
	}
	// Fill the gaps with a third template that starts everywhere, so every
	// interval can be covered, while keeping the column count small.
	p.Templates = append(p.Templates, Template{Name: "any", Length: p.Interval * time.Duration(perDay/2), Starts: []string{"00:00", clock(12 * time.Hour)}, Cost: float64(1000+rng.IntN(3000)) / 100})
	p.Required = make([]int, perDay*p.Days)
	for i := range p.Required {
		p.Required[i] = rng.IntN(4)
	}
	return p
}

// oddCycleProblem draws instances whose LP relaxation is often fractional:
// a day of an odd number of intervals covered by two-interval shifts at
// every start (an odd cycle), plus a three-interval shift at random starts.
func oddCycleProblem(rng *rand.Rand) Problem {
	k := []int{3, 5}[rng.IntN(2)]
	p := Problem{Days: 1, Interval: 24 * time.Hour / time.Duration(k)}
	p.Templates = []Template{
		{Name: "two", Length: 2 * p.Interval, Cost: float64(500+rng.IntN(1000)) / 100},
		{Name: "three", Length: 3 * p.Interval, Starts: []string{clock(time.Duration(rng.IntN(k)) * p.Interval)}, Cost: float64(900+rng.IntN(1500)) / 100},
	}
	p.Required = make([]int, k)
	for i := range p.Required {
		p.Required[i] = 1 + rng.IntN(3)
	}
	return p
}

// TestSolveMatchesBruteForce checks the optimum on small instances against
// exhaustive search, and that branch and bound proves it.
func TestSolveMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	tested, tours, branched := 0, 0, 0
	for k := 0; k < 600 && tested < 150; k++ {
		p := smallProblem(rng)
		if k%2 == 1 {
			p = oddCycleProblem(rng)
		}
		shifts, err := p.Candidates()
		if err != nil {
			t.Fatal(err)
		}
		if len(shifts) > 9 {
			continue
		}
		tested++
		for _, tm := range p.Templates {
			if tm.WorkDays > 1 {
				tours++
				break
			}
		}
		sol, err := Solve(p)
		if err != nil {
			t.Fatalf("instance %d: %v", k, err)
		}
		want := bruteForce(len(p.Required), shifts, p.Required)
		if math.Abs(sol.Cost-want) > 1e-9 {
			t.Errorf("instance %d (%d columns, need %v): cost %v, brute force %v", k, len(shifts), p.Required, sol.Cost, want)
		}
		if !sol.Optimal {
			t.Errorf("instance %d: optimum not proved within %d nodes", k, sol.Nodes)
		}
		if sol.Nodes > 1 {
			branched++
		}
		if sol.LowerBound > sol.Cost+1e-9 {
			t.Errorf("instance %d: LP bound %v above the integer optimum %v", k, sol.LowerBound, sol.Cost)
		}
		for _, row := range sol.Coverage {
			if row.Scheduled < row.Required {
				t.Errorf("instance %d: interval %d has %d of %d", k, row.Interval, row.Scheduled, row.Required)
			}
		}
	}
	if tested < 150 || tours < 8 || branched < 10 {
		t.Errorf("only %d instances small enough for brute force, %d with tours, %d needing branch and bound", tested, tours, branched)
	}
	t.Logf("%d instances, %d with tours, %d needing branch and bound", tested, tours, branched)
}

// TestLPAgainstGonum compares the dual simplex's LP optimum with gonum's
// simplex (in standard form with surplus columns) on random instances.
func TestLPAgainstGonum(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	for k := 0; k < 15; k++ {
		p := Problem{Days: 2, Templates: []Template{
			{Name: "8h", Length: 8 * time.Hour, Cost: float64(8 + rng.IntN(4))},
			{Name: "12h", Length: 12 * time.Hour, Starts: []string{"06:00", "18:00", "10:00"}, Cost: float64(11 + rng.IntN(6))},
		}}
		p.Required = make([]int, 48)
		for i := range p.Required {
			p.Required[i] = rng.IntN(6)
		}
		shifts, err := p.Candidates()
		if err != nil {
			t.Fatal(err)
		}
		m, n := len(p.Required), len(shifts)
		c := make([]float64, n+m)
		A := mat.NewDense(m, n+m, nil)
		b := make([]float64, m)
		for j, s := range shifts {
			c[j] = s.Cost
			for _, i := range s.covers {
				A.Set(i, j, A.At(i, j)+1)
			}
		}
		for i := 0; i < m; i++ {
			A.Set(i, n+i, -1)
			b[i] = float64(p.Required[i])
		}
		want, _, err := lp.Simplex(c, A, b, 1e-10, nil)
		if err != nil {
			t.Fatalf("gonum: %v", err)
		}
		cv := make([][]int, n)
		cost := make([]float64, n)
		for j, s := range shifts {
			cv[j], cost[j] = s.covers, s.Cost
		}
		tb := newTableau(m, cv, nil, cost, b)
		if err := tb.solve(); err != nil {
			t.Fatal(err)
		}
		if math.Abs(tb.z0-want) > 1e-7*math.Max(1, want) {
			t.Errorf("instance %d: dual simplex %v, gonum %v", k, tb.z0, want)
		}
		x := tb.values()
		cov := Coverage(m, shifts, x)
		for i := range cov {
			if cov[i] < b[i]-1e-7 {
				t.Errorf("instance %d: LP solution leaves interval %d at %v < %v", k, i, cov[i], b[i])
			}
		}
	}
}

func TestWrapAround(t *testing.T) {
	req := make([]int, 168)
	// Two heads Monday 00:00–06:00 only: a night shift starting Sunday
	// 22:00 covers it across the week boundary.
	for i := 0; i < 6; i++ {
		req[i] = 2
	}
	p := Problem{Required: req, Templates: []Template{{Name: "night", Length: 8 * time.Hour, Starts: []string{"22:00"}, Cost: 100}}}
	sol, err := Solve(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(sol.Roster) != 1 || sol.Roster[0].Heads != 2 || sol.Roster[0].Shift.StartDay != time.Sunday || sol.Cost != 200 {
		t.Fatalf("roster %+v cost %v", sol.Roster, sol.Cost)
	}
	if got := sol.Roster[0].Label; got != "Sun 22:00–06:00 (night)" {
		t.Errorf("label %q", got)
	}
	if !sol.Optimal || sol.LowerBound != 200 {
		t.Errorf("optimal %v bound %v", sol.Optimal, sol.LowerBound)
	}
	// Sunday 22:00–24:00 is covered too though not required.
	if sol.Coverage[166].Scheduled != 2 || sol.Coverage[165].Scheduled != 0 || sol.Coverage[6].Scheduled != 0 {
		t.Errorf("coverage Sun 22h %d, Sun 21h %d, Mon 06h %d", sol.Coverage[166].Scheduled, sol.Coverage[165].Scheduled, sol.Coverage[6].Scheduled)
	}
	if sol.Shifts != 2 || sol.PaidHours != 16 || sol.ExcessHours != 4 {
		t.Errorf("shifts %d paid %v excess %v", sol.Shifts, sol.PaidHours, sol.ExcessHours)
	}

	// A five-day tour starting Friday covers Friday to Tuesday.
	p = Problem{Required: make([]int, 168), Templates: []Template{{Name: "5x8", Length: 8 * time.Hour, Starts: []string{"09:00"}, Days: []time.Weekday{time.Friday}, WorkDays: 5, Cost: 10}}}
	p.Required[1*24+10] = 1 // Tuesday 10:00
	sol, err = Solve(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(sol.Roster) != 1 || sol.Roster[0].Label != "Fri–Tue 09:00–17:00 (5x8)" || sol.Cost != 50 {
		t.Errorf("tour roster %+v cost %v", sol.Roster, sol.Cost)
	}
	days := sol.Roster[0].Shift.Days
	if len(days) != 5 || days[0] != time.Friday || days[4] != time.Tuesday {
		t.Errorf("tour days %v", days)
	}
	if sol.Coverage[3*24+10].Scheduled != 0 || sol.Coverage[4*24+10].Scheduled != 1 || sol.Coverage[0*24+16].Scheduled != 1 {
		t.Error("tour coverage wrong on Thursday, Friday or Monday")
	}
}

// TestCyclicStaffing is the classic 24×7 case: two heads around the clock
// with eight-hour shifts at 06:00, 14:00 and 22:00 takes exactly six shifts
// a day, 42 a week; twelve-hour shifts at 07:00/19:00 take four a day.
func TestCyclicStaffing(t *testing.T) {
	req := make([]int, 168)
	for i := range req {
		req[i] = 2
	}
	three := []string{"06:00", "14:00", "22:00"}
	sol, err := Solve(Problem{Required: req, Templates: []Template{{Name: "8h", Length: 8 * time.Hour, Starts: three, Cost: 8}}})
	if err != nil {
		t.Fatal(err)
	}
	if sol.Shifts != 42 || sol.Cost != 336 || !sol.Optimal || sol.ExcessHours != 0 || len(sol.Roster) != 21 {
		t.Errorf("8h: shifts %d cost %v optimal %v excess %v roster %d", sol.Shifts, sol.Cost, sol.Optimal, sol.ExcessHours, len(sol.Roster))
	}
	// Mixing in 12-hour shifts at a 10 % premium per hour cannot beat
	// eight-hour ones that fit exactly.
	sol, err = Solve(Problem{Required: req, Templates: []Template{
		{Name: "8h", Length: 8 * time.Hour, Starts: three, Cost: 80},
		{Name: "12h", Length: 12 * time.Hour, Starts: []string{"07:00", "19:00"}, Cost: 132},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if sol.Cost != 42*80 || !sol.Optimal {
		t.Errorf("mixed: cost %v optimal %v", sol.Cost, sol.Optimal)
	}
	// Minimum heads raise an empty requirement.
	sol, err = Solve(Problem{Required: make([]int, 168), MinHeads: 1, Templates: []Template{{Name: "12h", Length: 12 * time.Hour, Starts: []string{"07:00", "19:00"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if sol.Shifts != 14 || sol.Cost != 14*12 || sol.PaidHours != 168 {
		t.Errorf("min heads: shifts %d cost %v paid %v", sol.Shifts, sol.Cost, sol.PaidHours)
	}
}

// TestWeekScale solves a realistic week (hourly; single 8/10/12-hour
// shifts, then weekly tours, at any hour) and checks coverage and the
// distance to the LP bound.
func TestWeekScale(t *testing.T) {
	for _, c := range []struct {
		name      string
		templates []Template
		optimal   bool
	}{{"shifts", DefaultTemplates(), true}, {"tours", TourTemplates(), false}} {
		sol, err := Solve(Problem{Required: weekRequirement(1), MinHeads: 2, Templates: c.templates})
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range sol.Coverage {
			if row.Scheduled < max(row.Required, 2) {
				t.Fatalf("%s: %s %s: %d of %d", c.name, row.Day, row.Time, row.Scheduled, row.Required)
			}
		}
		if sol.LowerBound > sol.Cost || sol.Cost > sol.LowerBound*1.05 {
			t.Errorf("%s: cost %v, LP bound %v: more than 5 %% apart", c.name, sol.Cost, sol.LowerBound)
		}
		// Single shifts form a circular interval matrix: the LP is
		// integral here and the optimum is proved at the root.
		if c.optimal && (!sol.Optimal || sol.Cost != sol.LowerBound) {
			t.Errorf("%s: cost %v bound %v optimal %v", c.name, sol.Cost, sol.LowerBound, sol.Optimal)
		}
		t.Logf("%s: cost %v bound %v optimal %v nodes %d shifts %d", c.name, sol.Cost, sol.LowerBound, sol.Optimal, sol.Nodes, sol.Shifts)
	}
}

// weekRequirement is a SOC-like weekly profile: a business-hours peak on
// weekdays, a night trough and quieter weekends.
func weekRequirement(scale float64) []int {
	req := make([]int, 168)
	for i := range req {
		d, h := i/24, i%24
		v := 3 + 5*math.Max(0, math.Sin(float64(h-6)/12*math.Pi))
		if d >= 5 {
			v *= 0.6
		}
		req[i] = int(math.Round(v * scale))
	}
	return req
}

func TestErrors(t *testing.T) {
	req := make([]int, 168)
	req[3] = 1
	for _, c := range []struct {
		p    Problem
		want string
	}{
		{Problem{Required: req}, "no shift templates"},
		{Problem{Required: req[:10], Templates: DefaultTemplates()}, "10 requirements"},
		{Problem{Required: req, Templates: []Template{{Name: "x", Length: 90 * time.Minute}}}, "multiple of the 1h0m0s interval"},
		{Problem{Required: req, Templates: []Template{{Name: "x", Length: 8 * time.Hour, Starts: []string{"25:00"}}}}, "not HH:MM"},
		{Problem{Required: req, Templates: []Template{{Name: "x", Length: 8 * time.Hour, Starts: []string{"06:30"}}}}, "interval boundary"},
		{Problem{Required: req, Templates: []Template{{Name: "day", Length: 8 * time.Hour, Starts: []string{"08:00"}}}}, "no shift template covers Mon 03:00"},
		{Problem{Required: req, Templates: []Template{{Name: "a", Length: 8 * time.Hour}, {Name: "a", Length: 8 * time.Hour}}}, "defined twice"},
		{Problem{Required: req, Interval: 7 * time.Minute, Templates: DefaultTemplates()}, "does not divide"},
	} {
		_, err := Solve(c.p)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want it to mention %q", err, c.want)
		}
	}
}

func TestHalfHourGrid(t *testing.T) {
	req := make([]int, 336)
	req[2*24*2+19] = 1 // Wednesday 09:30
	sol, err := Solve(Problem{Interval: 30 * time.Minute, Required: req, Templates: []Template{{Name: "10h", Length: 10 * time.Hour, Starts: []string{"09:30"}, WorkDays: 4, Cost: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(sol.Roster) != 1 || sol.Roster[0].Shift.Start != "09:30" || sol.Roster[0].Shift.End != "19:30" || sol.Cost != 4 {
		t.Errorf("roster %+v", sol.Roster)
	}
}
