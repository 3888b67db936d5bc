package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/model"
)

// Case events: appended to a case's log once each (deduplicated by source
// id or content), with the stage events status changes imply, and folded
// into the case's projection.

// eventKey is the deduplication key of an event: its source id, or a digest
// of its content when the source gives none.
func eventKey(e *model.CaseEvent) string {
	if e.ExternalID != "" {
		return "x:" + e.ExternalID
	}
	h := sha256.New()
	for _, part := range []string{string(e.Kind), strconv.FormatInt(e.At.UnixMicro(), 10), e.Actor, e.Old, e.New} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return "h:" + hex.EncodeToString(h.Sum(nil)[:16])
}

// insertEvents appends events to one case's log, skipping those already
// there, and returns the ones written.
func (a *applier) insertEvents(caseID int64, evs []model.CaseEvent) ([]model.CaseEvent, error) {
	// Keys first, so an event repeated within the batch is sent once.
	type keyed struct {
		key string
		e   *model.CaseEvent
	}
	seen := make(map[string]bool, len(evs))
	uniq := make([]keyed, 0, len(evs))
	for i := range evs {
		k := eventKey(&evs[i])
		if !seen[k] {
			seen[k] = true
			uniq = append(uniq, keyed{k, &evs[i]})
		}
	}
	var out []model.CaseEvent
	for _, n := range chunkSizes(len(uniq), 128) {
		chunk := uniq[:n]
		uniq = uniq[n:]
		byKey := make(map[string]*model.CaseEvent, n)
		args := make([]any, 0, n*9)
		for _, k := range chunk {
			e := k.e
			byKey[k.key] = e
			ing := e.IngestedAt
			if ing.IsZero() {
				ing = a.now
			}
			args = append(args, caseID, k.key, e.At.UnixMicro(), e.Actor, e.Source, string(e.Kind), e.Old, e.New, ing.UnixMicro())
		}
		rows, err := a.query(multiRowSQL(`INSERT INTO case_events (case_id, dedup_key, at, actor, source, kind, old, new, ingested_at) VALUES `,
			"(?, ?, ?, ?, ?, ?, ?, ?, ?)", n, ` ON CONFLICT (case_id, dedup_key) DO NOTHING RETURNING id, dedup_key`), args...)
		if err != nil {
			return nil, fmt.Errorf("appending events to case %d: %w", caseID, err)
		}
		for rows.Next() {
			var id int64
			var key string
			if err := rows.Scan(&id, &key); err != nil {
				rows.Close()
				return nil, fmt.Errorf("appending events to case %d: %w", caseID, err)
			}
			e := *byKey[key]
			e.ID, e.CaseID = id, caseID
			out = append(out, e)
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("appending events to case %d: %w", caseID, err)
		}
	}
	a.res.Events += len(out)
	a.counts.addRows("case_events", int64(len(out)))
	if len(out) > 0 {
		if a.touched == nil {
			a.touched = map[int64]bool{}
		}
		a.touched[caseID] = true
	}
	return out, nil
}

// appendAndProject appends events to a case and brings its projection up to
// date.
func (a *applier) appendAndProject(id int64, evs []model.CaseEvent) error {
	if len(evs) == 0 {
		return nil
	}
	written, err := a.insertEvents(id, evs)
	if err != nil || len(written) == 0 {
		return err
	}
	if a.replay[id] {
		return nil
	}
	sc, err := a.lockCase(id)
	if err != nil {
		return err
	}
	return a.applyEvents(&sc, written)
}

// applyEvents folds newly written events into a stored projection, or marks
// the case for a full replay when an event is older than the log's newest.
func (a *applier) applyEvents(sc *storedCase, written []model.CaseEvent) error {
	if len(written) == 0 || a.replay[sc.id] {
		return nil
	}
	for _, e := range written {
		if e.At.Before(sc.c.LastEventAt) {
			a.replay[sc.id] = true
			return nil
		}
	}
	sort.SliceStable(written, func(i, j int) bool { return written[i].At.Before(written[j].At) })
	state := model.StateOf(&sc.c)
	for _, e := range written {
		state.Apply(e)
	}
	return a.saveProjection(sc.id, &state)
}

func (a *applier) saveProjection(id int64, st *model.CaseState) error {
	_, err := a.exec(`UPDATE cases SET title = ?, status = ?, stage = ?, priority = ?, severity = ?, assignee = ?, team = ?,
			disposition = ?, acknowledged_at = ?, contained_at = ?, resolved_at = ?, closed_at = ?, reopen_count = ?,
			last_event_at = ? WHERE id = ?`,
		st.Title, st.Status, string(st.Stage), int(st.Priority), int(st.Severity), st.Assignee, st.Team,
		string(st.Disposition), micros(st.AcknowledgedAt), micros(st.ContainedAt), micros(st.ResolvedAt),
		micros(st.ClosedAt), st.ReopenCount, micros(st.LastEventAt), id)
	if err != nil {
		return fmt.Errorf("projecting case %d: %w", id, err)
	}
	return nil
}

// reproject recomputes a case's projection from its whole log. A case
// whose log retention pruned keeps its stored projection, with the events
// written since folded in, in time order.
func (a *applier) reproject(id int64) error {
	evs, err := caseEvents(a.ctx, a.tx, a.s, id)
	if err != nil {
		return err
	}
	pruned, lastID, err := a.prunedLogState(id)
	if err != nil {
		return err
	}
	var st model.CaseState
	if pruned {
		sc, err := a.lockCase(id)
		if err != nil {
			return err
		}
		st = model.StateOf(&sc.c)
	}
	for _, e := range evs {
		if e.ID > lastID {
			st.Apply(e)
		}
	}
	return a.saveProjection(id, &st)
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// caseEvents reads a case's log in replay order: by time, then id.
func caseEvents(ctx context.Context, q querier, s *Store, caseID int64) ([]model.CaseEvent, error) {
	rows, err := q.QueryContext(ctx, s.rebind(`SELECT id, case_id, dedup_key, at, actor, source, kind, old, new, ingested_at
		FROM case_events WHERE case_id = ? ORDER BY at, id`), caseID)
	if err != nil {
		return nil, fmt.Errorf("reading events of case %d: %w", caseID, err)
	}
	defer rows.Close()
	var out []model.CaseEvent
	for rows.Next() {
		var e model.CaseEvent
		var at, ing int64
		var key, kind string
		if err := rows.Scan(&e.ID, &e.CaseID, &key, &at, &e.Actor, &e.Source, &kind, &e.Old, &e.New, &ing); err != nil {
			return nil, fmt.Errorf("reading events of case %d: %w", caseID, err)
		}
		e.At, e.IngestedAt, e.Kind = time.UnixMicro(at).UTC(), time.UnixMicro(ing).UTC(), model.EventKind(kind)
		if strings.HasPrefix(key, "x:") {
			e.ExternalID = key[2:]
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func (a *applier) events(b *Batch) error {
	type group struct {
		evs []model.CaseEvent
	}
	groups := map[int64]*group{}
	var order []int64
	// Stage events given explicitly, so no second one is derived for them.
	explicitStage := model.StageKeys{}
	ids := make([]int64, len(b.Events))
	for i := range b.Events {
		e := &b.Events[i]
		id := e.CaseID
		if id == 0 {
			src := e.CaseSource
			if src == "" {
				src = e.Source
			}
			if e.CaseExternalID == "" {
				a.reject(KindEvent, i, "event names no case (case_id or case_external_id)")
				continue
			}
			var err error
			if id, err = a.caseID(src, e.CaseExternalID); err != nil {
				return err
			}
			if id == 0 {
				a.reject(KindEvent, i, "event refers to unknown case %s/%s", src, e.CaseExternalID)
				continue
			}
		}
		if !e.Kind.Valid() {
			a.reject(KindEvent, i, "unknown event kind %q", e.Kind)
			continue
		}
		if e.At.IsZero() {
			a.reject(KindEvent, i, "%s event has no time", e.Kind)
			continue
		}
		switch e.Kind {
		case model.EventStage:
			if _, err := model.ParseStage(e.New); err != nil {
				a.reject(KindEvent, i, "stage event: %v", err)
				continue
			}
			explicitStage[model.StageKey{CaseID: id, At: e.At.UnixMicro()}] = true
		case model.EventPriority:
			if p, err := model.ParsePriority(e.New); err != nil || !p.Valid() {
				a.reject(KindEvent, i, "priority event: bad priority %q", e.New)
				continue
			}
		case model.EventDisposition:
			if _, err := model.ParseDisposition(e.New); err != nil {
				a.reject(KindEvent, i, "disposition event: %v", err)
				continue
			}
		}
		ids[i] = id
	}
	for i := range b.Events {
		id := ids[i]
		if id == 0 {
			continue
		}
		g := groups[id]
		if g == nil {
			g = &group{}
			groups[id] = g
			order = append(order, id)
		}
		e := b.Events[i]
		e.CaseID = id
		g.evs = append(g.evs, e)
	}
	// Cases are locked in id order, so concurrent writers meet in the same
	// order (write retries the rare deadlock that remains).
	sort.Slice(order, func(i, j int) bool { return order[i] < order[j] })
	for _, id := range order {
		g := groups[id]
		var sc *storedCase
		if !a.replay[id] {
			c, err := a.lockCase(id)
			if err != nil {
				return err
			}
			sc = &c
		}
		evs, err := a.deriveStages(id, g.evs, sc, explicitStage)
		if err != nil {
			return err
		}
		written, err := a.insertEvents(id, evs)
		if err != nil {
			return err
		}
		if sc != nil {
			if err := a.applyEvents(sc, written); err != nil {
				return err
			}
		}
	}
	return nil
}

// deriveStages returns a case's new events in time order with the stage
// events their status changes imply (see model.StatusMap.DeriveStages);
// sc is the stored case, nil when it is replayed anyway.
func (a *applier) deriveStages(id int64, evs []model.CaseEvent, sc *storedCase, given model.StageKeys) ([]model.CaseEvent, error) {
	var stored *model.CaseState
	if sc != nil {
		stored = &model.CaseState{Stage: sc.c.Stage, LastEventAt: sc.c.LastEventAt}
	}
	return a.s.Statuses.DeriveStages(id, evs, stored, func() ([]model.CaseEvent, error) {
		return caseEvents(a.ctx, a.tx, a.s, id)
	}, given)
}
