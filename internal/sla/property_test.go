package sla

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
)

// randInstant picks an instant in 2025-06 … 2028-06, a third of the time on a
// whole local hour (window edges, midnights, zone changes).
func randInstant(r *rand.Rand, loc *time.Location) time.Time {
	lo := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	hi := time.Date(2028, 6, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	t := time.Unix(0, lo+r.Int64N(hi-lo)).UTC()
	if r.IntN(3) == 0 {
		l := t.In(loc)
		t = time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), 0, 0, 0, loc).UTC()
	}
	return t
}

func TestCalendarProperties(t *testing.T) {
	cals := map[string]*model.BusinessHours{
		"berlin office": berlinOffice, "berlin night": berlinNight, "berlin all day": berlinAllDay,
		"ny office": nyOffice, "ny night": nyNight,
		"ny weekend mornings": {TimeZone: "America/New_York", Days: []time.Weekday{time.Saturday, time.Sunday},
			Start: "01:30", End: "02:30", Holidays: []string{"2026-03-08", "2027-11-07"}},
	}
	names := make([]string, 0, len(cals))
	for n := range cals {
		names = append(names, n)
	}
	slices.Sort(names)
	r := rand.New(rand.NewPCG(3, 7))
	for _, name := range names {
		bh := cals[name]
		c := mustCal(t, bh)
		t.Run(name, func(t *testing.T) {
			for i := range 300 {
				p := [3]time.Time{randInstant(r, c.loc), randInstant(r, c.loc), randInstant(r, c.loc)}
				slices.SortFunc(p[:], time.Time.Compare)
				a, b, cc := p[0], p[1], p[2]
				ab, bc, ac := c.WorkingTime(a, b), c.WorkingTime(b, cc), c.WorkingTime(a, cc)
				if ab+bc != ac {
					t.Fatalf("#%d: WorkingTime(a,b)+WorkingTime(b,c) = %v+%v != WorkingTime(a,c) = %v (a=%s b=%s c=%s)",
						i, ab, bc, ac, a, b, cc)
				}
				if i%3 == 0 { // the reference is slow
					if ref := refWorkingTime(bh, a, cc); ref != ac {
						t.Fatalf("#%d: WorkingTime(%s, %s) = %v, reference %v", i, a, cc, ac, ref)
					}
				}
				d := time.Duration(1 + r.Int64N(int64(3000*h)))
				if r.IntN(2) == 0 {
					d = d.Truncate(time.Minute) + time.Minute
				}
				end := c.AddWorking(a, d)
				if got := c.WorkingTime(a, end); got != d {
					t.Fatalf("#%d: WorkingTime(a, AddWorking(a, %v)) = %v (a=%s end=%s)", i, d, got, a, end)
				}
				if got := c.WorkingTime(a, end.Add(-1)); got >= d {
					t.Fatalf("#%d: AddWorking(%s, %v) = %s is not the earliest such instant", i, a, d, end)
				}
				da, db := c.dayOf(a), c.dayOf(cc)
				if fast, slow := c.fullDays(da, db), c.sumDays(da, db); fast != slow {
					t.Fatalf("#%d: fullDays(%d, %d) = %v, day by day %v", i, da, db, fast, slow)
				}
			}
		})
	}
}

// TestClockProperties checks, on random event streams, that on a 24×7
// calendar without pauses every stopped clock's elapsed time is exactly
// stop − start and that the last-close clock equals an independent
// brute-force replay; and that with a business calendar and pauses,
// elapsed + paused of the first-close clock is the business time from start
// to stop. Shuffling the log and duplicating events never changes a result.
func TestClockProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 13))
	plain := mustPolicies(t, model.SLAPolicy{Name: "p", Version: 1, EffectiveFrom: time.Unix(0, 0),
		Targets: map[model.Priority]model.SLATarget{model.P1: {Acknowledge: 15 * m, Resolve: 4 * h}, model.P3: {Acknowledge: h, Resolve: 24 * h}}})
	biz := mustPolicies(t, model.SLAPolicy{Name: "b", Version: 1, EffectiveFrom: time.Unix(0, 0),
		Targets:       map[model.Priority]model.SLATarget{model.P1: {Acknowledge: 15 * m, Resolve: 4 * h}, model.P3: {Acknowledge: h, Resolve: 24 * h}},
		PauseStatuses: []string{"Awaiting User Info"}, Calendar: berlinOffice})
	bizCal := mustCal(t, berlinOffice)
	stages := []string{"new", "triage", "investigating", "contained", "resolved", "closed", "bogus"}
	statuses := []string{"Open", "In Progress", "Awaiting User Info", "awaiting user info", "Resolved"}
	for i := range 2000 {
		created := time.Date(2026, 3, 1+r.IntN(60), r.IntN(24), r.IntN(60), 0, 0, time.UTC)
		var evs []model.CaseEvent
		n := r.IntN(12)
		for j := range n {
			// Mostly after creation, sometimes before (clock skew).
			at := created.Add(time.Duration(r.Int64N(int64(10*24*h))) - 2*h)
			ev := model.CaseEvent{ID: int64(j + 1), At: at.Truncate(time.Minute)}
			switch r.IntN(4) {
			case 0:
				ev.Kind, ev.New = model.EventStage, stages[r.IntN(len(stages))]
			case 1:
				ev.Kind, ev.New = model.EventStatus, statuses[r.IntN(len(statuses))]
			case 2:
				ev.Kind, ev.New = model.EventPriority, []string{"P1", "P3", "P5", ""}[r.IntN(4)]
			default:
				ev.Kind, ev.New = model.EventAssignee, []string{"", "ana", " "}[r.IntN(3)]
			}
			evs = append(evs, ev)
		}
		slices.SortStableFunc(evs, compareEvents)
		now := created.Add(time.Duration(r.Int64N(int64(12 * 24 * h))))

		res := Evaluator{Policies: plain}.Evaluate(created, evs, now)
		for name, c := range map[string]Clock{"ack": res.Acknowledge, "resolve": res.Resolve} {
			end := now
			if !c.Open() {
				end = c.Stop
			}
			if c.Elapsed != end.Sub(created) || c.Paused != 0 {
				t.Fatalf("#%d %s: elapsed %v paused %v, want %v (events %v)", i, name, c.Elapsed, c.Paused, end.Sub(created), evs)
			}
		}
		wantLast, wantReopens := bruteLast(created, now, evs)
		if res.ResolveLast.Elapsed != wantLast || res.Reopens != wantReopens {
			t.Fatalf("#%d: last close elapsed %v reopens %d, brute force %v %d (events %v)",
				i, res.ResolveLast.Elapsed, res.Reopens, wantLast, wantReopens, evs)
		}

		bres := Evaluator{Policies: biz}.Evaluate(created, evs, now)
		c := bres.Resolve
		end := now
		if !c.Open() {
			end = c.Stop
		}
		if got := bizCal.WorkingTime(created, end); c.Elapsed+c.Paused != got {
			t.Fatalf("#%d: business elapsed %v + paused %v != WorkingTime %v", i, c.Elapsed, c.Paused, got)
		}

		// Shuffled input and duplicated events give the same result.
		mixed := slices.Clone(evs)
		for j := range mixed {
			if r.IntN(4) == 0 {
				dup := mixed[j]
				dup.ID += 1000
				mixed = append(mixed, dup)
			}
		}
		r.Shuffle(len(mixed), func(a, b int) { mixed[a], mixed[b] = mixed[b], mixed[a] })
		again := Evaluator{Policies: biz}.Evaluate(created, mixed, now)
		again.Duplicates = bres.Duplicates
		if fmt.Sprint(again) != fmt.Sprint(bres) {
			t.Fatalf("#%d: shuffled and duplicated log changed the result:\n%+v\n%+v", i, bres, again)
		}
	}
}

// bruteLast replays the log naively: the last-close clock is the total time
// between created and now (or the final move to done) in which the case was
// not resolved or closed.
func bruteLast(created, now time.Time, evs []model.CaseEvent) (time.Duration, int) {
	type change struct {
		at   time.Time
		done bool
	}
	var seen []model.CaseEvent
	var changes []change
	done, reopens := false, 0
	for _, e := range evs {
		if e.Kind != model.EventStage {
			continue
		}
		st, err := model.ParseStage(e.New)
		if err != nil {
			continue
		}
		dup := false
		for _, s := range seen {
			dup = dup || (s.At.Equal(e.At) && s.New == e.New && s.Old == e.Old)
		}
		if dup {
			continue
		}
		seen = append(seen, e)
		at := e.At
		if at.Before(created) {
			at = created
		}
		if at.After(now) {
			at = now
		}
		if done && !st.Done() {
			reopens++
		}
		done = st.Done()
		changes = append(changes, change{at, done})
	}
	var total time.Duration
	from, running := created, true
	for _, c := range changes {
		if running {
			total += c.at.Sub(from)
		}
		from, running = c.at, !c.done
	}
	if running {
		total += now.Sub(from)
	}
	return total, reopens
}
