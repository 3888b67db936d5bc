package demo

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
)

// slotMs is the granularity of the duty roster: 15 minutes, so shift
// boundaries are exact in every time zone (all UTC offsets are multiples of
// a quarter hour).
const slotMs = 15 * 60 * 1000

// analystDomain ends the simulated staff's e-mail addresses.
const analystDomain = "@soc.example.org"

// analyst is a member of the simulated staff.
type analyst struct {
	m       model.Analyst
	tier    int // 0 = L1, 1 = L2, 2 = L3
	shift   int // index into shiftNames
	offDay  time.Weekday
	absent  []bool // by local day since roster.day0
	handled int    // alerts triaged, for tests
}

// roster is who works when.
type roster struct {
	analysts []analyst
	byTier   [3][]int32
	leads    [3]int32 // team lead per tier
	slot0    int64    // start of slot 0, Unix ms
	nSlots   int
	day0     int64 // local day number of roster day 0
	// duty[t] lists, per slot, the analysts of tier t on duty:
	// members dutyIdx[t][k]:dutyIdx[t][k+1] of dutyMembers[t].
	dutyIdx     [3][]int32
	dutyMembers [3][]int32
}

// tierCounts splits n analysts roughly 60/30/10 % into L1/L2/L3, with at
// least one L2 and one L3.
func tierCounts(n int) [3]int {
	l3 := max(1, int(math.Round(0.1*float64(n))))
	l2 := max(1, int(math.Round(0.3*float64(n))))
	return [3]int{n - l2 - l3, l2, l3}
}

// shiftPattern spreads a tier over the shifts: L1 and L2 weighted towards
// the day, L3 on days and swings only (they are on call at night).
var shiftPattern = [3][]int{
	{0, 1, 2, 0, 1, 0, 2, 1},
	{0, 1, 2, 0, 1, 2},
	{0, 1, 0},
}

// offDays staggers the two consecutive days off inside a shift group:
// Saturday–Sunday first, then spread over the week.
var offDays = []time.Weekday{time.Saturday, time.Tuesday, time.Thursday, time.Sunday, time.Wednesday, time.Friday, time.Monday}

// newRoster builds the staff and its duty slots over [startMs, endMs).
func newRoster(rng *rand.Rand, n int, startMs, endMs int64, loc *time.Location) *roster {
	r := &roster{}
	counts := tierCounts(n)
	used := make(map[string]bool, n)
	var groupSize [3][3]int // tier, shift → members so far
	for tier := 0; tier < 3; tier++ {
		for i := 0; i < counts[tier]; i++ {
			shift := shiftPattern[tier][i%len(shiftPattern[tier])]
			off := offDays[groupSize[tier][shift]%len(offDays)]
			groupSize[tier][shift]++
			first := firstNames[rng.IntN(len(firstNames))]
			last := lastNames[rng.IntN(len(lastNames))]
			login := strings.ToLower(first[:1] + last)
			base := login
			for k := 2; used[login]; k++ {
				login = base + strconv.Itoa(k)
			}
			used[login] = true
			a := analyst{tier: tier, shift: shift, offDay: off}
			a.m = model.Analyst{
				ExternalID:     login,
				Name:           first + " " + last,
				Email:          login + analystDomain,
				Tier:           [3]model.Tier{model.TierL1, model.TierL2, model.TierL3}[tier],
				Role:           roleByTier[tier],
				Team:           teamNames[tier],
				Shift:          shiftNames[shift],
				Skills:         skillsFor(rng, tier),
				Certifications: certsFor(rng, tier),
				Active:         true,
				HourlyCost:     math.Round(([3]float64{48, 72, 105}[tier]+rng.Float64()*[3]float64{14, 20, 30}[tier])*2) / 2,
			}
			r.byTier[tier] = append(r.byTier[tier], int32(len(r.analysts)))
			r.analysts = append(r.analysts, a)
		}
	}
	for tier := 0; tier < 3; tier++ {
		lead := r.byTier[tier][0]
		r.leads[tier] = lead
		r.analysts[lead].m.Role = [3]string{"shift lead", "incident response lead", "SOC lead"}[tier]
	}

	r.slot0 = startMs - mod(startMs, slotMs)
	r.nSlots = int((endMs - r.slot0 + slotMs - 1) / slotMs)
	r.day0 = localDay(time.UnixMilli(r.slot0).In(loc)) - 1
	days := int(localDay(time.UnixMilli(endMs).In(loc))-r.day0) + 2

	// Absences: sick days and, for longer simulations, a vacation week.
	for i := range r.analysts {
		a := &r.analysts[i]
		a.absent = make([]bool, days)
		for d := range a.absent {
			a.absent[d] = rng.Float64() < 0.02
		}
		if rng.Float64() < float64(days)/120 {
			v := rng.IntN(days)
			for d := v; d < min(days, v+7); d++ {
				a.absent[d] = true
			}
		}
	}

	for t := 0; t < 3; t++ {
		r.dutyIdx[t] = make([]int32, 0, r.nSlots+1)
	}
	for k := 0; k < r.nSlots; k++ {
		lt := time.UnixMilli(r.slot0 + int64(k)*slotMs).In(loc)
		minute := lt.Hour()*60 + lt.Minute()
		day := int(localDay(lt) - r.day0)
		wd := lt.Weekday()
		for t := 0; t < 3; t++ {
			r.dutyIdx[t] = append(r.dutyIdx[t], int32(len(r.dutyMembers[t])))
			for _, ai := range r.byTier[t] {
				a := &r.analysts[ai]
				start := shiftStarts[a.shift]
				if mod(int64(minute-start), 24*60) >= shiftMinutes {
					continue
				}
				// The shift began on the previous local day if it
				// started later in the day than now (night shift).
				d, w := day, wd
				if minute < start {
					d, w = day-1, (wd+6)%7
				}
				if w == a.offDay || w == (a.offDay+1)%7 || d < 0 || a.absent[d] {
					continue
				}
				r.dutyMembers[t] = append(r.dutyMembers[t], ai)
			}
		}
	}
	for t := 0; t < 3; t++ {
		r.dutyIdx[t] = append(r.dutyIdx[t], int32(len(r.dutyMembers[t])))
	}
	return r
}

// onDuty lists the analysts of a tier on duty in slot k.
func (r *roster) onDuty(tier, k int) []int32 {
	return r.dutyMembers[tier][r.dutyIdx[tier][k]:r.dutyIdx[tier][k+1]]
}

// slotOf returns the slot containing t (Unix ms).
func (r *roster) slotOf(t int64) int { return int((t - r.slot0) / slotMs) }

// pick chooses an analyst of the given tier on duty at or after t, and the
// time they can take the work. It looks at most maxWait ahead and fails
// when nobody of the tier is on duty before then or before the end.
func (r *roster) pick(rng *rand.Rand, tier int, t, maxWait, end int64) (int32, int64, bool) {
	for k := r.slotOf(t); k < r.nSlots; k++ {
		at := max(t, r.slot0+int64(k)*slotMs)
		if at >= end || at-t > maxWait {
			break
		}
		if m := r.onDuty(tier, k); len(m) > 0 {
			return m[rng.IntN(len(m))], at, true
		}
	}
	return -1, 0, false
}

func skillsFor(rng *rand.Rand, tier int) []model.Skill {
	n := 3 + tier + rng.IntN(2)
	out := make([]model.Skill, 0, n)
	out = append(out, model.Skill{Name: skillNames[0], Level: min(5, 2+tier+rng.IntN(2))})
	perm := rng.Perm(len(skillNames) - 1)
	for _, p := range perm[:n-1] {
		name := skillNames[p+1]
		lvl := 1 + tier + rng.IntN(3)
		if name == "incident command" && tier < 2 {
			lvl = min(lvl, 2)
		}
		out = append(out, model.Skill{Name: name, Level: min(5, lvl)})
	}
	return out
}

func certsFor(rng *rand.Rand, tier int) []string {
	pool := certsByTier[tier]
	n := rng.IntN(3)
	if tier > 0 {
		n++
	}
	perm := rng.Perm(len(pool))
	out := make([]string, 0, n)
	for _, p := range perm[:n] {
		out = append(out, pool[p])
	}
	return out
}

// localDay numbers the calendar day of a local time.
func localDay(t time.Time) int64 {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// mod is the non-negative remainder.
func mod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}
