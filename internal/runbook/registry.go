package runbook

import (
	"sort"
	"strings"
	"time"
)

// Version is one stored version of a runbook.
type Version struct {
	Version  int       `json:"version"`
	SyncedAt time.Time `json:"synced_at"`
	Doc      *Document `json:"doc"`
}

// Entry is a runbook in the registry with its versions.
type Entry struct {
	ID string `json:"id"`
	// Source names the folder it was last synced from.
	Source    string    `json:"source"`
	CreatedAt time.Time `json:"created_at"`
	// RemovedAt is when a sync of its folder no longer found it.
	RemovedAt time.Time `json:"removed_at,omitzero"`
	// Versions are oldest first, numbered from 1.
	Versions []Version `json:"versions"`
}

// Current is the newest version.
func (e *Entry) Current() *Version { return &e.Versions[len(e.Versions)-1] }

// At is the version in force at t: the newest synced at or before t. A run
// before the first sync is measured against the first version; inferred
// says so.
func (e *Entry) At(t time.Time) (v *Version, beforeFirst bool) {
	for i := len(e.Versions) - 1; i >= 0; i-- {
		if !e.Versions[i].SyncedAt.After(t) {
			return &e.Versions[i], false
		}
	}
	return &e.Versions[0], true
}

// Version returns version n, nil when there is none.
func (e *Entry) Version(n int) *Version {
	if n < 1 || n > len(e.Versions) {
		return nil
	}
	return &e.Versions[n-1]
}

// ReviewDue is when the runbook's next review is due: its last_reviewed
// date, else the time its current version was first synced, plus its
// review interval. Zero when it sets no interval.
func (e *Entry) ReviewDue() time.Time {
	cur := e.Current()
	if cur.Doc.ReviewInterval.IsZero() {
		return time.Time{}
	}
	from := cur.Doc.LastReviewed
	if from.IsZero() {
		from = cur.SyncedAt
	}
	return cur.Doc.ReviewInterval.After(from)
}

// Registry is the set of runbooks a store holds, looked up by the names
// case events use.
type Registry struct {
	Entries []*Entry
	byName  map[string]*Entry
}

// NewRegistry indexes entries by id, path (with and without ".md"), title
// and aliases, ignoring case. An id always wins over another runbook's
// title or alias.
func NewRegistry(entries []*Entry) *Registry {
	sort.Slice(entries, func(i, j int) bool { return entries[i].ID < entries[j].ID })
	r := &Registry{Entries: entries, byName: map[string]*Entry{}}
	add := func(name string, e *Entry, strong bool) {
		k := strings.ToLower(strings.TrimSpace(name))
		if k == "" {
			return
		}
		if _, taken := r.byName[k]; taken && !strong {
			return
		}
		r.byName[k] = e
	}
	for _, e := range entries {
		d := e.Current().Doc
		add(d.Title, e, false)
		for _, a := range d.Aliases {
			add(a, e, false)
		}
	}
	for _, e := range entries {
		d := e.Current().Doc
		add(d.Path, e, true)
		add(strings.TrimSuffix(d.Path, ".md"), e, true)
	}
	for _, e := range entries {
		add(e.ID, e, true)
	}
	return r
}

// Lookup finds the runbook a name refers to; nil when none does.
func (r *Registry) Lookup(name string) *Entry {
	if r == nil {
		return nil
	}
	return r.byName[strings.ToLower(strings.TrimSpace(name))]
}

// Get finds a runbook by id only.
func (r *Registry) Get(id string) *Entry {
	if r == nil {
		return nil
	}
	for _, e := range r.Entries {
		if e.ID == id {
			return e
		}
	}
	return nil
}

// Row is one runbook in a listing.
type Row struct {
	ID          string    `json:"id"`
	Title       string    `json:"title"`
	Type        string    `json:"type"`
	Status      string    `json:"status,omitempty"`
	Version     int       `json:"version"`
	Versions    int       `json:"versions"`
	Phases      int       `json:"phases"`
	Steps       int       `json:"steps"`
	Links       int       `json:"links"`
	BrokenLinks int       `json:"broken_links"`
	Path        string    `json:"path"`
	Source      string    `json:"source"`
	UpdatedAt   time.Time `json:"updated_at"`
	ReviewDue   time.Time `json:"review_due,omitzero"`
	Removed     bool      `json:"removed"`
}

// Rows lists the registry's runbooks, of one type when kind is set, and
// those no longer in their folder only when removed is true.
func (r *Registry) Rows(kind string, removed bool) []Row {
	out := []Row{}
	for _, e := range r.Entries {
		cur := e.Current()
		d := cur.Doc
		if (!removed && !e.RemovedAt.IsZero()) || (kind != "" && !strings.EqualFold(kind, d.Type)) {
			continue
		}
		row := Row{ID: e.ID, Title: d.Title, Type: d.Type, Status: d.Status, Version: cur.Version, Versions: len(e.Versions),
			Phases: len(d.Phases), Steps: len(d.Steps()), Links: len(d.Links), Path: d.Path, Source: e.Source, UpdatedAt: cur.SyncedAt,
			ReviewDue: e.ReviewDue(), Removed: !e.RemovedAt.IsZero()}
		for _, l := range d.Links {
			if l.Broken != "" {
				row.BrokenLinks++
			}
		}
		out = append(out, row)
	}
	return out
}
