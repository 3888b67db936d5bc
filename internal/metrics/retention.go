package metrics

import (
	"context"
	"fmt"
	"time"

	"github.com/watchfloor/watchfloor/internal/store"
)

// notePruned says, in the report's notes, when a day of the window lies
// before the retention horizon of alerts without an aggregate built before
// its alerts were removed: such a day counts only the alerts retention
// kept (those of cases and those matched by indicators), and no report can
// recompute the rest. Built days of the same period are read as built and
// answer as they did before the removal, so they need no note.
func notePruned(ctx context.Context, r store.RollupDay) {
	if r.Pruned && r.Stale() {
		note(ctx, fmt.Sprintf("retention removed alerts of %s before that day's aggregate was built: it counts only the alerts kept (those of cases or matched by indicators) and cannot be recomputed",
			dayStart(r.Day, time.UTC).Format(time.DateOnly)))
	}
	if r.Late {
		note(ctx, fmt.Sprintf("alerts of %s changed after retention removed that day's alerts: the day is shown as it was aggregated then, without the change",
			dayStart(r.Day, time.UTC).Format(time.DateOnly)))
	}
}

// BuildAlertDays builds (and stores) the alert aggregates of every day of
// w that is not built yet, so retention can remove the day's alerts
// without changing any report. It returns how many days it built.
func (e *Engine) BuildAlertDays(ctx context.Context, w Window) (int, error) {
	rows, err := e.Store.RollupVersions(ctx, store.RollupAlerts, day(w.From), day(w.To.AddDate(0, 0, -1)))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range rows {
		if !r.Stale() || r.Pruned {
			continue
		}
		if _, _, err := e.buildAlertDay(ctx, r, w.From.Location()); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
