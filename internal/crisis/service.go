package crisis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/watchfloor/watchfloor/internal/budget"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/notify"
	"github.com/watchfloor/watchfloor/internal/store"
)

// Store is what the service reads and writes.
type Store interface {
	CreateIncident(ctx context.Context, inc store.Incident, events []store.CrisisEvent) (int64, error)
	UpdateIncident(ctx context.Context, id int64, fn func(store.Incident, []store.CrisisEvent) (store.Incident, []store.CrisisEvent, error)) error
	IncidentLog(ctx context.Context, id int64) (store.Incident, []store.CrisisEvent, error)
	IncidentByKey(ctx context.Context, key string) (store.Incident, error)
	Incidents(ctx context.Context, f store.IncidentFilter) ([]store.Incident, error)
	CrisisEventsOfKind(ctx context.Context, kind string) ([]store.CrisisEvent, error)
	CaseByID(ctx context.Context, id int64) (model.Case, error)
	CaseByExternalID(ctx context.Context, source, externalID string) (model.Case, error)
	CaseAlertCounts(ctx context.Context, cases []model.Case) (map[int64]int64, error)
	TimeZone(ctx context.Context) (*time.Location, error)
	WorkloadRoster(ctx context.Context) (store.Roster, error)
	RateVersions(ctx context.Context) ([]store.RateVersion, error)
	AddRateVersion(ctx context.Context, v store.RateVersion) (bool, error)
}

// Service runs the major-incident commands over a store.
type Service struct {
	Store  Store
	Config *Config
	// Notifier sends stakeholder messages and reminders; nil means no
	// channels are configured.
	Notifier *notify.Notifier
	// Budget prices people's time; nil uses the hourly costs on the roster.
	Budget *budget.Config
	// ContractHours converts annual loaded costs to hourly ones (40 when
	// zero).
	ContractHours float64
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Actor is who issues a command and through what ("cli", "web", "mcp").
type Actor struct {
	Name   string
	Source string
}

// ErrInvalid matches (with errors.Is) every refusal caused by the
// command's input or by the incident's state, as opposed to a failure of
// the store.
var ErrInvalid = errors.New("invalid")

// refusal is an error the command's input or the incident's state causes.
type refusal struct{ msg string }

func (r refusal) Error() string        { return r.msg }
func (r refusal) Is(target error) bool { return target == ErrInvalid }

// invalid is a refusal: the command's input or the incident's state does
// not allow it.
func invalid(format string, args ...any) error { return refusal{fmt.Sprintf(format, args...)} }

// ErrNotFound is returned for an unknown incident.
var ErrNotFound = store.ErrNotFound

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// defaultConfig is the configuration of a service given none.
var defaultConfig = sync.OnceValue(func() *Config {
	c := &Config{}
	if err := c.Prepare(); err != nil {
		panic("crisis: the default configuration is invalid: " + err.Error())
	}
	return c
})

func (s *Service) config() *Config {
	if s.Config == nil {
		return defaultConfig()
	}
	return s.Config
}

// clockSkew is how far in the future a stated time may be (clocks of the
// people typing differ).
const clockSkew = 5 * time.Minute

// checkAt defaults a stated time to now and refuses one in the future.
func checkAt(at, now time.Time, what string) (time.Time, error) {
	if at.IsZero() {
		return now, nil
	}
	if at.After(now.Add(clockSkew)) {
		return at, invalid("%s %s is in the future", what, at.UTC().Format(time.RFC3339))
	}
	return at.UTC(), nil
}

// checkText checks free text: required or not, and at most max runes.
func checkText(name, v string, required bool, max int) (string, error) {
	v = strings.TrimSpace(v)
	if required && v == "" {
		return "", invalid("%s is required", name)
	}
	if utf8.RuneCountInString(v) > max {
		return "", invalid("%s is longer than %d characters", name, max)
	}
	return v, nil
}

// checkName checks a person's name: one line, 1 to 100 characters.
func checkName(what, v string) (string, error) {
	v, err := checkText(what, v, true, 100)
	if err == nil && strings.ContainsAny(v, "\r\n") {
		err = invalid("%s must be one line", what)
	}
	return v, err
}

// decode turns stored events into log events.
func decode(log []store.CrisisEvent) ([]Event, error) {
	out := make([]Event, len(log))
	for i, e := range log {
		out[i] = Event{Seq: e.Seq, At: e.At, RecordedAt: e.RecordedAt, Actor: e.Actor, Source: e.Source, Kind: Kind(e.Kind)}
		if err := json.Unmarshal([]byte(e.Data), &out[i].Data); err != nil {
			return nil, fmt.Errorf("incident %d event %d: %w", e.IncidentID, e.Seq, err)
		}
	}
	return out, nil
}

func encode(id int64, evs []Event) []store.CrisisEvent {
	out := make([]store.CrisisEvent, len(evs))
	for i, e := range evs {
		out[i] = store.CrisisEvent{IncidentID: id, Seq: e.Seq, At: e.At, RecordedAt: e.RecordedAt, Actor: e.Actor, Source: e.Source,
			Kind: string(e.Kind), Data: marshalData(e.Data)}
	}
	return out
}

// summary is the stored row of an incident.
func summary(inc *Incident, now time.Time, key string) store.Incident {
	row := store.Incident{ID: inc.ID, Key: key, Title: inc.Title, Severity: inc.Severity, Status: string(inc.Status),
		Commander: inc.Holder(RoleCommander), DeclaredAt: inc.DeclaredAt, UpdatedAt: now, ClosedAt: inc.ClosedAt}
	for _, c := range inc.Cases {
		row.CaseIDs = append(row.CaseIDs, c.ID)
	}
	return row
}

// Get returns an incident as its log describes it.
func (s *Service) Get(ctx context.Context, ref string) (*Incident, error) {
	id, err := ParseRef(ref)
	if err != nil {
		return nil, invalid("%v", err)
	}
	return s.load(ctx, id)
}

func (s *Service) load(ctx context.Context, id int64) (*Incident, error) {
	_, log, err := s.Store.IncidentLog(ctx, id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("incident %s: %w", RefOf(id), ErrNotFound)
		}
		return nil, err
	}
	evs, err := decode(log)
	if err != nil {
		return nil, err
	}
	return Project(id, evs), nil
}

// change runs plan against the incident inside one write transaction and
// appends the events it returns; a refusal writes nothing.
func (s *Service) change(ctx context.Context, ref string, actor Actor, plan func(inc *Incident, now time.Time) ([]Event, error)) (*Incident, error) {
	id, err := ParseRef(ref)
	if err != nil {
		return nil, invalid("%v", err)
	}
	var result *Incident
	var before int64
	now := s.now()
	err = s.Store.UpdateIncident(ctx, id, func(row store.Incident, log []store.CrisisEvent) (store.Incident, []store.CrisisEvent, error) {
		evs, err := decode(log)
		if err != nil {
			return row, nil, err
		}
		inc := Project(id, evs)
		before = inc.LastSeq
		add, err := plan(inc, now)
		if err != nil {
			return row, nil, fmt.Errorf("incident %s: %w", inc.Ref, err)
		}
		seq := inc.LastSeq
		for i := range add {
			seq++
			add[i].Seq, add[i].RecordedAt, add[i].Actor, add[i].Source = seq, now, actor.Name, actor.Source
			if add[i].At.IsZero() {
				add[i].At = now
			}
		}
		result = Project(id, append(evs, add...))
		return summary(result, now, row.Key), encode(id, add), nil
	})
	if errors.Is(err, store.ErrNotFound) && result == nil {
		return nil, fmt.Errorf("incident %s: %w", RefOf(id), ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	if result.LastSeq > before {
		s.recordRates(ctx, now)
	}
	return result, nil
}

// resolveCase finds a case by Watchfloor id or SOURCE/EXTERNAL_ID.
func (s *Service) resolveCase(ctx context.Context, ref string) (CaseRef, error) {
	ref = strings.TrimSpace(ref)
	var c model.Case
	var err error
	if n, perr := strconv.ParseInt(ref, 10, 64); perr == nil {
		c, err = s.Store.CaseByID(ctx, n)
	} else if src, ext, ok := strings.Cut(ref, "/"); ok {
		c, err = s.Store.CaseByExternalID(ctx, src, ext)
	} else {
		return CaseRef{}, invalid("case %q: want a Watchfloor case id or SOURCE/EXTERNAL_ID", ref)
	}
	if errors.Is(err, store.ErrNotFound) {
		return CaseRef{}, invalid("case %q not found", ref)
	}
	if err != nil {
		return CaseRef{}, err
	}
	return CaseRef{ID: c.ID, Source: c.Source, ExternalID: c.ExternalID, Title: c.Title}, nil
}

func (s *Service) resolveCases(ctx context.Context, refs []string, have []CaseRef) ([]CaseRef, error) {
	var out []CaseRef
	for _, r := range refs {
		c, err := s.resolveCase(ctx, r)
		if err != nil {
			return nil, err
		}
		dup := func(x CaseRef) bool { return x.ID == c.ID }
		if slices.ContainsFunc(have, dup) || slices.ContainsFunc(out, dup) {
			continue
		}
		out = append(out, c)
	}
	return out, nil
}

// DeclareInput are a declaration's arguments.
type DeclareInput struct {
	Title    string
	Severity string
	// Cases are Watchfloor case ids or SOURCE/EXTERNAL_ID.
	Cases []string
	// AwareAt records awareness (for every regime) when not zero.
	AwareAt time.Time
	// Regimes the incident is subject to; nil means the configured default.
	Regimes []string
	// Commander takes command at declaration (default: the actor).
	Commander string
	// At is when the incident was declared (default now).
	At time.Time
	// Key makes the declaration idempotent: a second declaration with the
	// same key returns the first incident.
	Key string
}

// Declare declares a major incident.
func (s *Service) Declare(ctx context.Context, actor Actor, in DeclareInput) (*Incident, error) {
	cfg := s.config()
	now := s.now()
	if in.Key != "" {
		if row, err := s.Store.IncidentByKey(ctx, in.Key); err == nil {
			return s.load(ctx, row.ID)
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	sev, err := cfg.Severity(in.Severity)
	if err != nil {
		return nil, invalid("%v", err)
	}
	cases, err := s.resolveCases(ctx, in.Cases, nil)
	if err != nil {
		return nil, err
	}
	title := in.Title
	if strings.TrimSpace(title) == "" && len(cases) > 0 {
		title = cases[0].Title
	}
	if title, err = checkText("title", title, true, 300); err != nil {
		return nil, fmt.Errorf("%w (or link a case with --case to take its title)", err)
	}
	regimes := in.Regimes
	if regimes == nil {
		regimes = cfg.DefaultRegimes
	}
	regimes = dedupe(regimes)
	if err := cfg.Rules().CheckRegimes(regimes); err != nil {
		return nil, invalid("%v", err)
	}
	at, err := checkAt(in.At, now, "declaration time")
	if err != nil {
		return nil, err
	}
	commander := in.Commander
	if commander == "" {
		commander = actor.Name
	}
	if commander, err = checkName("commander", commander); err != nil {
		return nil, err
	}
	evs := []Event{
		{At: at, Kind: KindDeclared, Data: Data{Title: title, Severity: sev.ID, Regimes: regimes, Cases: cases}},
		{At: at, Kind: KindRoleAssumed, Data: Data{Role: RoleCommander, Person: commander}},
	}
	if !in.AwareAt.IsZero() {
		aware, err := checkAt(in.AwareAt, now, "awareness time")
		if err != nil {
			return nil, err
		}
		evs = append(evs, Event{At: aware, Kind: KindTrigger, Data: Data{Trigger: TriggerAware, Text: "recorded at declaration"}})
	}
	for _, st := range cfg.Stakeholders {
		evs = append(evs, Event{At: at, Kind: KindStakeholder, Data: Data{Stakeholder: &st}})
	}
	for i := range evs {
		evs[i].Seq, evs[i].RecordedAt, evs[i].Actor, evs[i].Source = int64(i+1), now, actor.Name, actor.Source
	}
	inc := Project(0, evs)
	id, err := s.Store.CreateIncident(ctx, summary(inc, now, in.Key), encode(0, evs))
	if errors.Is(err, store.ErrExists) && in.Key != "" {
		row, err := s.Store.IncidentByKey(ctx, in.Key)
		if err != nil {
			return nil, err
		}
		return s.load(ctx, row.ID)
	}
	if err != nil {
		return nil, err
	}
	s.recordRates(ctx, now)
	return s.load(ctx, id)
}

func dedupe(v []string) []string {
	out := []string{}
	for _, x := range v {
		x = strings.ToLower(strings.TrimSpace(x))
		if x != "" && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// EventInput records a timeline entry, a regulatory trigger, a submission
// or a pin.
type EventInput struct {
	// Type is an entry type (decision, action, observation,
	// communication), a trigger type (aware, reasonable-belief,
	// classified-major, materiality-determined, ransom-paid) or notified.
	// Empty with Pin set changes only a pin.
	Type string
	At   time.Time
	Text string
	// Regime scopes a trigger to one regime (empty: every regime) and names
	// a submission's regime; Report names the report submitted (empty: the
	// regime's only report, or its running clock due first); Reference is
	// the authority's reference.
	Regime    string
	Report    string
	Reference string
	// Pin pins the new entry; PinSeq pins (Unpin: unpins) an existing one.
	Pin    bool
	PinSeq int64
	Unpin  bool
}

// RecordEvent adds a timeline entry, trigger, submission or pin.
func (s *Service) RecordEvent(ctx context.Context, actor Actor, ref string, in EventInput) (*Incident, error) {
	cfg := s.config()
	tz := s.timeZone(ctx)
	return s.change(ctx, ref, actor, func(inc *Incident, now time.Time) ([]Event, error) {
		if in.Type == "" {
			if in.PinSeq == 0 {
				return nil, invalid("say what to record: --type, or --pin/--unpin SEQ")
			}
			return pinEvents(inc, in.PinSeq, !in.Unpin)
		}
		at, err := checkAt(in.At, now, "--at")
		if err != nil {
			return nil, err
		}
		text, err := checkText("text", in.Text, false, 4000)
		if err != nil {
			return nil, err
		}
		var evs []Event
		typ := strings.ToLower(strings.TrimSpace(in.Type))
		switch {
		case slices.Contains(EntryTypes, typ):
			if text == "" {
				return nil, invalid("a %s entry needs --text", typ)
			}
			if inc.Status == StatusClosed && typ != EntryObservation && typ != EntryCommunication {
				return nil, invalid("the incident is closed; only observations and communications may still be added")
			}
			evs = append(evs, Event{At: at, Kind: KindEntry, Data: Data{EntryType: typ, Text: text}})
		case slices.Contains(TriggerTypes, typ):
			add, err := s.triggerEvents(inc, cfg.Rules(), typ, in.Regime, at, text)
			if err != nil {
				return nil, err
			}
			evs = append(evs, add...)
		case typ == TriggerNotified:
			add, err := s.submissionEvents(inc, cfg.Rules(), in, at, text, now, tz)
			if err != nil {
				return nil, err
			}
			evs = append(evs, add...)
		default:
			return nil, invalid("unknown event type %q (want one of %s, %s or notified)", in.Type,
				strings.Join(EntryTypes, ", "), strings.Join(TriggerTypes, ", "))
		}
		if in.Pin {
			evs = append(evs, Event{At: at, Kind: KindPin, Data: Data{Target: inc.LastSeq + int64(len(evs)), Pinned: true}})
		}
		if in.PinSeq != 0 {
			pin, err := pinEvents(inc, in.PinSeq, !in.Unpin)
			if err != nil {
				return nil, err
			}
			evs = append(evs, pin...)
		}
		return evs, nil
	})
}

func pinEvents(inc *Incident, seq int64, pinned bool) ([]Event, error) {
	i := slices.IndexFunc(inc.Timeline, func(e Entry) bool { return e.Seq == seq })
	if i < 0 {
		return nil, invalid("no timeline entry %d", seq)
	}
	if inc.Timeline[i].Pinned == pinned {
		return nil, nil
	}
	return []Event{{Kind: KindPin, Data: Data{Target: seq, Pinned: pinned}}}, nil
}

// regimeFor checks a regime id on an incident, adding it (with an event)
// when the rule set knows it but the incident does not list it yet.
func regimeFor(inc *Incident, rules Rules, id string, at time.Time) (Regime, []Event, error) {
	id = strings.ToLower(strings.TrimSpace(id))
	g, ok := rules.Regime(id)
	if !ok {
		return g, nil, invalid("unknown regime %q (known: %s)", id, strings.Join(rules.IDs(), ", "))
	}
	if inc.HasRegime(id) {
		return g, nil, nil
	}
	return g, []Event{{At: at, Kind: KindRegimes, Data: Data{Regimes: []string{id}}}}, nil
}

func (s *Service) triggerEvents(inc *Incident, rules Rules, typ, regime string, at time.Time, text string) ([]Event, error) {
	var evs []Event
	if regime != "" {
		g, add, err := regimeFor(inc, rules, regime, at)
		if err != nil {
			return nil, err
		}
		uses := slices.ContainsFunc(g.Reports, func(r Report) bool {
			return r.From.Event == typ || r.Cap != nil && r.Cap.From.Event == typ
		})
		if !uses {
			return nil, invalid("regime %s has no report whose clock starts at %s", g.ID, typ)
		}
		evs = append(evs, add...)
		regime = g.ID
	}
	return append(evs, Event{At: at, Kind: KindTrigger, Data: Data{Trigger: typ, Regime: regime, Text: text}}), nil
}

func (s *Service) submissionEvents(inc *Incident, rules Rules, in EventInput, at time.Time, text string, now time.Time, tz *time.Location) ([]Event, error) {
	if in.Regime == "" {
		return nil, invalid("a submission needs --regime (the incident's: %s)", strings.Join(inc.Regimes, ", "))
	}
	g, add, err := regimeFor(inc, rules, in.Regime, at)
	if err != nil {
		return nil, err
	}
	ref, err := checkText("reference", in.Reference, false, 200)
	if err != nil {
		return nil, err
	}
	probe := *inc
	probe.Regimes = append(slices.Clone(inc.Regimes), g.ID)
	clocks := map[string]Clock{}
	for _, rp := range g.Reports {
		clocks[rp.ID] = probe.clock(g, rp, now, tz)
	}
	report := strings.ToLower(strings.TrimSpace(in.Report))
	if report == "" {
		switch {
		case len(g.Reports) == 1:
			report = g.Reports[0].ID
		default:
			// the running clock due first
			var best *Clock
			for _, rp := range g.Reports {
				c := clocks[rp.ID]
				if c.DueAt == nil || c.SubmittedAt != nil {
					continue
				}
				if best == nil || c.DueAt.Before(*best.DueAt) {
					best = &c
				}
			}
			if best == nil {
				ids := make([]string, len(g.Reports))
				for i, rp := range g.Reports {
					ids[i] = rp.ID
				}
				return nil, invalid("regime %s has no running clock to submit; name the report with --report (%s)", g.ID, strings.Join(ids, ", "))
			}
			report = best.Report
		}
	}
	rp, ok := g.Report(report)
	if !ok {
		ids := make([]string, len(g.Reports))
		for i, r := range g.Reports {
			ids[i] = r.ID
		}
		return nil, invalid("regime %s has no report %q (reports: %s)", g.ID, report, strings.Join(ids, ", "))
	}
	c := clocks[rp.ID]
	if c.TriggeredAt == nil {
		return nil, invalid("the clock of %s %s has not started (it starts at %s); record that first", g.ID, rp.ID, rp.From)
	}
	if at.Before(*c.TriggeredAt) {
		return nil, invalid("submission time %s is before the clock's trigger (%s at %s): a report cannot be submitted before its clock starts",
			at.Format(time.RFC3339), rp.From, c.TriggeredAt.Format(time.RFC3339))
	}
	return append(add, Event{At: at, Kind: KindSubmitted, Data: Data{Regime: g.ID, Report: rp.ID, Reference: ref, Text: text}}), nil
}

// RoleInput assigns or releases a role.
type RoleInput struct {
	Role   string
	Person string
	// Handover lets a single role change holder.
	Handover bool
	// Release ends Person's spell in the role instead.
	Release bool
	At      time.Time
}

// AssignRole records a role change.
func (s *Service) AssignRole(ctx context.Context, actor Actor, ref string, in RoleInput) (*Incident, error) {
	return s.change(ctx, ref, actor, func(inc *Incident, now time.Time) ([]Event, error) {
		if inc.Status == StatusClosed {
			return nil, invalid("the incident is closed: its roles ended at closing")
		}
		role, err := ParseRole(in.Role)
		if err != nil {
			return nil, invalid("%v", err)
		}
		at, err := checkAt(in.At, now, "--at")
		if err != nil {
			return nil, err
		}
		info := role.Info()
		person := strings.TrimSpace(in.Person)
		if in.Release {
			if person == "" && info.Single {
				person = inc.Holder(role)
			}
			if role == RoleCommander {
				return nil, invalid("the incident commander cannot step down while the incident is open: hand command over with --assign commander --to NAME --handover")
			}
			if !slices.Contains(inc.Holders(role), person) || person == "" {
				return nil, invalid("%s does not hold the role %s", quoteName(person), info.Title)
			}
			if err := notBeforeSpell(inc, role, person, at); err != nil {
				return nil, err
			}
			return []Event{{At: at, Kind: KindRoleRelease, Data: Data{Role: role, Person: person}}}, nil
		}
		if person, err = checkName("the person (--to)", person); err != nil {
			return nil, err
		}
		holders := inc.Holders(role)
		if slices.Contains(holders, person) {
			return nil, invalid("%s already holds the role %s", person, info.Title)
		}
		d := Data{Role: role, Person: person}
		if info.Single && len(holders) > 0 {
			if !in.Handover {
				return nil, invalid("the role %s is held by %s; a second %s is not allowed: pass --handover to hand it over to %s",
					info.Title, holders[0], info.Title, person)
			}
			if err := notBeforeSpell(inc, role, holders[0], at); err != nil {
				return nil, err
			}
			d.Previous = holders[0]
		} else if in.Handover {
			return nil, invalid("nobody holds the role %s to hand it over; assign it without --handover", info.Title)
		}
		return []Event{{At: at, Kind: KindRoleAssumed, Data: d}}, nil
	})
}

func quoteName(s string) string {
	if s == "" {
		return "nobody"
	}
	return strconv.Quote(s)
}

// notBeforeSpell refuses a role change dated before the holder took it.
func notBeforeSpell(inc *Incident, role Role, person string, at time.Time) error {
	for _, sp := range inc.Roles {
		if sp.Role == role && sp.Person == person && sp.To.IsZero() && at.Before(sp.From) {
			return invalid("%s took the role %s at %s; the change cannot be dated before that", person, role.Info().Title, sp.From.Format(time.RFC3339))
		}
	}
	return nil
}

// UpdateInput posts a status update and changes the incident's severity,
// status, title, regimes or cases.
type UpdateInput struct {
	// Tactical form: conditions, actions, needs (all three).
	Conditions, Actions, Needs string
	// Executive summary form.
	Summary string
	// Changes.
	Severity   string
	Status     string
	Title      string
	AddRegimes []string
	Cases      []string
	At         time.Time
}

// PostUpdate records a status update and/or changes.
func (s *Service) PostUpdate(ctx context.Context, actor Actor, ref string, in UpdateInput) (*Incident, error) {
	cfg := s.config()
	return s.change(ctx, ref, actor, func(inc *Incident, now time.Time) ([]Event, error) {
		if inc.Status == StatusClosed {
			return nil, invalid("the incident is closed")
		}
		at, err := checkAt(in.At, now, "--at")
		if err != nil {
			return nil, err
		}
		var evs []Event
		if in.Title != "" {
			t, err := checkText("title", in.Title, true, 300)
			if err != nil {
				return nil, err
			}
			if t != inc.Title {
				evs = append(evs, Event{At: at, Kind: KindTitle, Data: Data{Title: t}})
			}
		}
		if in.Severity != "" {
			sev, err := cfg.Severity(in.Severity)
			if err != nil {
				return nil, invalid("%v", err)
			}
			if sev.ID != inc.Severity {
				evs = append(evs, Event{At: at, Kind: KindSeverity, Data: Data{Severity: sev.ID}})
			}
		}
		if in.Status != "" {
			st, err := ParseStatus(in.Status)
			if err != nil {
				return nil, invalid("%v", err)
			}
			if st != inc.Status {
				evs = append(evs, Event{At: at, Kind: KindStatus, Data: Data{Status: st}})
			}
		}
		for _, r := range dedupe(in.AddRegimes) {
			if _, add, err := regimeFor(inc, cfg.Rules(), r, at); err != nil {
				return nil, err
			} else {
				evs = append(evs, add...)
			}
		}
		if len(in.Cases) > 0 {
			cases, err := s.resolveCases(ctx, in.Cases, inc.Cases)
			if err != nil {
				return nil, err
			}
			if len(cases) > 0 {
				evs = append(evs, Event{At: at, Kind: KindCaseLinked, Data: Data{Cases: cases}})
			}
		}
		if in.Conditions != "" || in.Actions != "" || in.Needs != "" {
			u := Update{Form: FormTactical}
			for _, f := range []struct {
				name string
				v    string
				dst  *string
			}{{"--conditions", in.Conditions, &u.Conditions}, {"--actions", in.Actions, &u.Actions}, {"--needs", in.Needs, &u.Needs}} {
				if *f.dst, err = checkText(f.name, f.v, true, 4000); err != nil {
					return nil, fmt.Errorf("%w: a tactical update gives conditions, actions and needs (say \"none\" when nothing is needed)", err)
				}
			}
			evs = append(evs, Event{At: at, Kind: KindUpdate, Data: Data{Update: &u}})
		}
		if in.Summary != "" {
			sum, err := checkText("--summary", in.Summary, true, 8000)
			if err != nil {
				return nil, err
			}
			evs = append(evs, Event{At: at, Kind: KindUpdate, Data: Data{Update: &Update{Form: FormExecutive, Summary: sum}}})
		}
		if len(evs) == 0 {
			if in.Severity != "" || in.Status != "" || in.Title != "" || len(in.Cases) > 0 || len(in.AddRegimes) > 0 {
				return nil, nil // already so
			}
			return nil, invalid("nothing to update: give --conditions, --actions and --needs, or --summary, or a change (--severity, --status, --title, --add-regime, --case)")
		}
		return evs, nil
	})
}

// TaskInput adds a task (ID 0) or changes one.
type TaskInput struct {
	ID       int
	Title    string
	Owner    string
	Due      time.Time
	Status   string
	FollowUp bool
}

// Task adds or changes a task.
func (s *Service) Task(ctx context.Context, actor Actor, ref string, in TaskInput) (*Incident, error) {
	return s.change(ctx, ref, actor, func(inc *Incident, now time.Time) ([]Event, error) {
		t := Task{ID: in.ID, FollowUp: in.FollowUp}
		var err error
		if in.Owner != "" {
			if t.Owner, err = checkName("--owner", in.Owner); err != nil {
				return nil, err
			}
		}
		if in.Status != "" {
			t.Status = strings.ToLower(strings.TrimSpace(in.Status))
			if !slices.Contains(TaskStatuses, t.Status) {
				return nil, invalid("task status %q: want %s", in.Status, strings.Join(TaskStatuses, ", "))
			}
		}
		if in.ID == 0 {
			if inc.Status == StatusClosed && !in.FollowUp {
				return nil, invalid("the incident is closed: add follow-up actions (--follow-up) instead of tasks")
			}
			if t.Title, err = checkText("task title", in.Title, true, 500); err != nil {
				return nil, err
			}
			if !in.Due.IsZero() && !in.Due.After(now) {
				return nil, invalid("due time %s is not after now (%s): a task cannot be due before it is created",
					in.Due.UTC().Format(time.RFC3339), now.Format(time.RFC3339))
			}
			t.Due = in.Due.UTC()
			for _, x := range inc.Tasks {
				t.ID = max(t.ID, x.ID)
			}
			t.ID++
			return []Event{{Kind: KindTask, Data: Data{Task: &t}}}, nil
		}
		cur, ok := inc.Task(in.ID)
		if !ok {
			return nil, invalid("no task T%d", in.ID)
		}
		if in.Title != "" {
			return nil, invalid("a task's title cannot change; cancel it and add another")
		}
		if !in.Due.IsZero() {
			if !in.Due.After(cur.Created) {
				return nil, invalid("due time %s is before task T%d was created (%s)", in.Due.UTC().Format(time.RFC3339), cur.ID, cur.Created.Format(time.RFC3339))
			}
			t.Due = in.Due.UTC()
		}
		if (t.Owner == "" || t.Owner == cur.Owner) && (t.Due.IsZero() || t.Due.Equal(cur.Due)) && (t.Status == "" || t.Status == cur.Status) {
			if t.Owner == "" && t.Due.IsZero() && t.Status == "" {
				return nil, invalid("nothing to change on task T%d: give --status, --owner or --due", in.ID)
			}
			return nil, nil
		}
		return []Event{{Kind: KindTask, Data: Data{Task: &t}}}, nil
	})
}

// CloseInput closes an incident.
type CloseInput struct {
	// Handover names who takes over open tasks and the review (required).
	Handover string
	Summary  string
	At       time.Time
}

// Close closes the incident: every role ends, open tasks and the review
// pass to the hand-over owner.
func (s *Service) Close(ctx context.Context, actor Actor, ref string, in CloseInput) (*Incident, error) {
	return s.change(ctx, ref, actor, func(inc *Incident, now time.Time) ([]Event, error) {
		if inc.Status == StatusClosed {
			return nil, invalid("the incident is already closed (%s)", inc.ClosedAt.Format(time.RFC3339))
		}
		if strings.TrimSpace(in.Handover) == "" {
			return nil, invalid("closing needs a commander hand-over: name who takes over the open tasks and the post-incident review (--handover-to)")
		}
		who, err := checkName("--handover-to", in.Handover)
		if err != nil {
			return nil, err
		}
		if inc.Holder(RoleCommander) == "" {
			return nil, invalid("the incident has no commander to hand over")
		}
		sum, err := checkText("--summary", in.Summary, false, 8000)
		if err != nil {
			return nil, err
		}
		at, err := checkAt(in.At, now, "--at")
		if err != nil {
			return nil, err
		}
		if at.Before(inc.LastEventAt) {
			return nil, invalid("closing time %s is before the incident's last entry (%s)", at.Format(time.RFC3339), inc.LastEventAt.Format(time.RFC3339))
		}
		return []Event{{At: at, Kind: KindClosed, Data: Data{Handover: who, Text: sum}}}, nil
	})
}

// ReviewInput records lessons learned and follow-up actions.
type ReviewInput struct {
	Lessons []Lesson
	Actions []TaskInput
}

// RecordReview adds lessons and follow-up actions to the review.
func (s *Service) RecordReview(ctx context.Context, actor Actor, ref string, in ReviewInput) (*Incident, error) {
	return s.change(ctx, ref, actor, func(inc *Incident, now time.Time) ([]Event, error) {
		if len(in.Lessons) == 0 && len(in.Actions) == 0 {
			return nil, nil
		}
		var evs []Event
		for _, l := range in.Lessons {
			text, err := checkText("lesson", l.Text, true, 2000)
			if err != nil {
				return nil, err
			}
			cat, err := checkText("lesson category", l.Category, false, 50)
			if err != nil {
				return nil, err
			}
			evs = append(evs, Event{Kind: KindLesson, Data: Data{Lesson: &Lesson{Text: text, Category: strings.ToLower(cat), Roadmap: l.Roadmap}}})
		}
		next := 0
		for _, t := range inc.Tasks {
			next = max(next, t.ID)
		}
		for _, a := range in.Actions {
			title, err := checkText("follow-up action", a.Title, true, 500)
			if err != nil {
				return nil, err
			}
			owner, err := checkName("follow-up owner (every action item needs one)", a.Owner)
			if err != nil {
				return nil, err
			}
			if !a.Due.IsZero() && !a.Due.After(now) {
				return nil, invalid("follow-up %q: due time is not after now", title)
			}
			next++
			evs = append(evs, Event{Kind: KindTask, Data: Data{Task: &Task{ID: next, Title: title, Owner: owner, Due: a.Due.UTC(), FollowUp: true}}})
		}
		return evs, nil
	})
}

// timeZone is the organisation's time zone (UTC when unset or unreadable).
func (s *Service) timeZone(ctx context.Context) *time.Location {
	if tz, err := s.Store.TimeZone(ctx); err == nil && tz != nil {
		return tz
	}
	return time.UTC
}
