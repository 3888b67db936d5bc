package servicenow

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/model"
)

// state is what the event log tracks of an incident between updates.
type state struct {
	status   string
	stage    model.Stage // "" when the status is not mapped
	priority model.Priority
	assignee string
	team     string
	title    string
}

func (c *columns) stateOf(f fields, number string) state {
	status := f.value(c.state)
	st, _ := model.DefaultStatusMap.Stage(status)
	return state{
		status:   status,
		stage:    st,
		priority: model.PriorityFromServiceNow(f.value(c.priority)),
		assignee: f.value(c.assignedTo),
		team:     f.value(c.group),
		title:    c.title(f, number),
	}
}

// title names the incident and its category, e.g.
// "INC0000045 Category 55 / Subcategory 170".
func (c *columns) title(f fields, number string) string {
	var parts []string
	for _, i := range []int{c.category, c.subcategory} {
		if v := f.value(i); v != "" {
			parts = append(parts, v)
		}
	}
	if len(parts) == 0 {
		return number
	}
	return number + " " + strings.Join(parts, " / ")
}

// flush emits the buffered incident and empties the buffer.
func (p *parser) flush() error {
	all := p.rows
	defer func() {
		clear(all) // let the flushed rows be collected
		p.rows = all[:0]
		p.latest, p.latestFields, p.strs = nil, nil, nil
	}()
	if len(all) == 0 {
		return nil
	}
	rows := p.order(all)
	minMod := rows[0].mod
	for _, r := range rows {
		minMod = min(minMod, r.mod)
	}
	c := p.snapshot(rows[0], rows[len(rows)-1], minMod)
	// Attributes and raw record come from the latest row, kept whole.
	c.Attributes, c.Raw = p.cols.attributes(p.latestFields), p.cols.rawJSON(p.latestFields)
	if err := p.emit(record.Record{Loc: p.loc(rows[0].line), Case: c}); err != nil {
		return err
	}
	return p.replay(rows)
}

// order sorts an incident's rows by (sys_updated_at, sys_mod_count, line)
// and drops revisions logged twice: rows with the sys_mod_count and the
// values of an earlier row, apart from sys_updated_by and sys_updated_at
// (rows with the same revision key). Without sys_mod_count only exact
// duplicates are dropped. See the package documentation for the rows of
// the sample this is about.
func (p *parser) order(rows []*row) []*row {
	slices.SortStableFunc(rows, compareRows)
	seen := make(map[[16]byte]bool, len(rows))
	kept := rows[:0]
	for _, r := range rows {
		if seen[r.key] {
			continue
		}
		seen[r.key] = true
		kept = append(kept, r)
	}
	return kept
}

// version maps a sys_mod_count onto Case.Version, keeping 0 for "unknown".
func version(mod int64) int64 {
	if mod < 0 {
		return 0
	}
	return mod + 1
}

// snapshot builds the case as first seen: the state (status, priority,
// assignee, team, title) of its first update and the opening time (flush
// adds the source fields of the latest update). Only a case with a single
// update carries resolved/closed milestones; otherwise the replayed events
// date them.
func (p *parser) snapshot(first, latest *row, mod int64) *model.Case {
	s := first.st
	snap := &model.Case{
		Source:     Source,
		ExternalID: first.number,
		Title:      s.title,
		Priority:   s.priority,
		Status:     s.status,
		Stage:      s.stage,
		Assignee:   s.assignee,
		Team:       s.team,
		CreatedAt:  unix(first.opened),
		UpdatedAt:  unix(first.updated),
		Version:    version(mod),
	}
	if first == latest {
		// A snapshot never claims a milestone its state contradicts.
		if s.stage.Done() {
			snap.ResolvedAt = unix(first.resolved)
		}
		if s.stage == model.StageClosed {
			snap.ClosedAt = unix(first.closed)
		}
	}
	return snap
}

// attributes returns a row's unmapped columns, without missing values.
func (c *columns) attributes(f fields) map[string]string {
	var m map[string]string
	for _, i := range c.attrs {
		if v := f.value(i); v != "" {
			if m == nil {
				m = make(map[string]string)
			}
			m[c.names[i]] = v
		}
	}
	return m
}

// replay emits the events that lead from each row's state to the next.
func (p *parser) replay(rows []*row) error {
	used := make(map[string]bool)
	cur := rows[0].st
	for i := 1; i < len(rows); i++ {
		r := rows[i]
		next := r.st
		var evs []*model.CaseEvent
		add := func(at time.Time, kind model.EventKind, old, new string) {
			evs = append(evs, &model.CaseEvent{
				CaseSource:     Source,
				CaseExternalID: r.number,
				ExternalID:     eventID(used, r, kind),
				At:             at,
				Actor:          r.actor,
				Source:         Source,
				Kind:           kind,
				Old:            old,
				New:            new,
			})
		}
		updated := unix(r.updated)
		statusAt := updated
		if next.stage == model.StageResolved && cur.stage != model.StageResolved {
			statusAt = resolutionTime(rows, i)
		}
		if !strings.EqualFold(next.status, cur.status) {
			add(statusAt, model.EventStatus, cur.status, next.status)
			cur.status = next.status
		}
		if next.stage != "" && next.stage != cur.stage {
			add(statusAt, model.EventStage, string(cur.stage), string(next.stage))
			cur.stage = next.stage
		}
		// A missing priority says nothing about a change.
		if next.priority.Valid() && next.priority != cur.priority {
			add(updated, model.EventPriority, cur.priority.String(), next.priority.String())
			cur.priority = next.priority
		}
		if next.assignee != cur.assignee {
			add(updated, model.EventAssignee, cur.assignee, next.assignee)
			cur.assignee = next.assignee
		}
		if next.team != cur.team {
			add(updated, model.EventTeam, cur.team, next.team)
			cur.team = next.team
		}
		if next.title != cur.title {
			add(updated, model.EventTitle, cur.title, next.title)
			cur.title = next.title
		}
		for _, e := range evs {
			if err := p.emit(record.Record{Loc: p.loc(r.line), Event: e}); err != nil {
				return err
			}
		}
		// Rows behind the previous one are done with: let them go while
		// the rest of a long incident is replayed.
		rows[i-1] = nil
	}
	return nil
}

// resolutionTime dates the move into the resolved stage made by rows[i]:
// its resolved_at when that is not before the previous update and not after
// the update that ends the resolved spell, else its sys_updated_at.
func resolutionTime(rows []*row, i int) time.Time {
	r := rows[i]
	at, updated := unix(r.resolved), unix(r.updated)
	if at.IsZero() || at.Before(unix(rows[i-1].updated)) {
		return updated
	}
	for _, later := range rows[i+1:] {
		if later.st.stage != model.StageResolved {
			if at.After(unix(later.updated)) {
				return updated
			}
			break
		}
	}
	return at
}

// eventID derives a stable event id from the row's revision and the kind,
// e.g. "INC0000045/mod/2/status". A revision number seen twice in an
// incident is qualified with the update's time, and as a last resort with a
// counter, so distinct changes never share an id.
func eventID(used map[string]bool, r *row, kind model.EventKind) string {
	rev := "mod/" + strconv.FormatInt(r.mod, 10)
	if r.mod < 0 {
		rev = "at/" + unix(r.updated).Format("20060102T1504Z")
	}
	id := r.number + "/" + rev + "/" + string(kind)
	if used[id] && r.mod >= 0 {
		id = r.number + "/" + rev + "@" + unix(r.updated).Format("20060102T1504Z") + "/" + string(kind)
	}
	for n := 2; used[id]; n++ {
		id = fmt.Sprintf("%s/%s/%s/%d", r.number, rev, kind, n)
	}
	used[id] = true
	return id
}
