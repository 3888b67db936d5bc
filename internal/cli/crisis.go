package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/user"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/crisis"
	"github.com/watchfloor/watchfloor/internal/notify"
	"github.com/watchfloor/watchfloor/internal/output"
	"github.com/watchfloor/watchfloor/internal/store"
)

// crisisService is the major-incident service over st with the plan
// file's crisis, notify and budget settings.
func (a *app) crisisService(st *store.Store, ps planSettings) *crisis.Service {
	return crisisFor(st, ps, a.log)
}

// crisisFor is crisisService for callers without an app.
func crisisFor(st *store.Store, ps planSettings, log *slog.Logger) *crisis.Service {
	svc := &crisis.Service{Store: st, Config: ps.crisis, Budget: ps.budget} // nil Config: the defaults
	if ps.staffing.ContractHours != nil {
		svc.ContractHours = *ps.staffing.ContractHours
	}
	if ps.notify != nil && len(ps.notify.Channels) > 0 {
		svc.Notifier = &notify.Notifier{Config: *ps.notify, Log: st, Logger: log}
	}
	return svc
}

// loadCrisisSettings reads the crisis and notify sections of the plan file.
func loadCrisisSettings(path string) (*crisis.Config, *notify.Config, error) {
	cc, err := crisis.LoadConfig(path)
	if err != nil {
		return nil, nil, err
	}
	nc, err := notify.LoadConfig(path)
	if err != nil {
		return nil, nil, err
	}
	if len(nc.Channels) == 0 {
		return &cc, nil, nil
	}
	return &cc, &nc, nil
}

// operator names the person at the terminal in incident logs.
func operator() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "local"
}

// parseWhen reads a time: RFC 3339, "2006-01-02 15:04" (UTC), or a
// duration relative to now ("-30m", "+4h").
func parseWhen(flag, s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if s[0] == '-' || s[0] == '+' {
		if d, err := time.ParseDuration(s); err == nil {
			return now.Add(d).UTC().Truncate(time.Second), nil
		}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, strings.TrimSuffix(s, "Z")); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%s %q: want RFC 3339 (2026-03-08T01:12:00Z), \"2026-03-08 01:12\" (UTC) or a relative time such as -30m or +4h", flag, s)
}

// crisisCmd carries what every major-incident verb shares.
type crisisCmd struct {
	a          *app
	major      bool
	configPath string
}

// run opens the store and the service, runs fn and audits writes.
func (c *crisisCmd) run(cmd *cobra.Command, write string, fn func(ctx context.Context, svc *crisis.Service, actor crisis.Actor) error) error {
	if !c.major {
		return errors.New("say what to manage: --major-incident")
	}
	ctx := cmd.Context()
	ps, err := loadPlanSettings(c.configPath)
	if err != nil {
		return err
	}
	open := c.a.openRead // reading a missing store is an error, not a new store
	if write != "" {
		open = c.a.open
	}
	st, err := open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := c.a.crisisService(st, ps)
	actor := crisis.Actor{Name: operator(), Source: "cli"}
	err = fn(ctx, svc, actor)
	if write != "" {
		detail := strings.Join(cmd.Flags().Args(), " ")
		if err != nil {
			detail = "refused: " + err.Error()
		}
		c.a.auditCLI(context.WithoutCancel(ctx), &auth.Service{Store: st}, "crisis "+write, "incident", output.Terminal(detail))
	}
	return err
}

func (a *app) crisisCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "crisis", Short: "Major-incident command: roles, timeline, tasks, updates, communications, regulatory clocks, review"}
	c := &crisisCmd{a: a}
	manage := &cobra.Command{
		Use:   "manage --major-incident",
		Short: "Declare and run major incidents",
		Long: `Major-incident command. An incident links one or more cases, has a severity
(SEV1-SEV3 by default, names configurable) and a status (active, stable,
closed), and keeps every change in an append-only log: roles with their
hand-over history, a typed timeline with pinned entries, tasks, status
updates on a cadence set by severity (SEV1 every hour, SEV2 every 2 hours,
SEV3 every 8 hours), the stakeholder register and every message sent, and
the regulatory clocks (GDPR, NIS2, DORA, SEC 8-K, HIPAA, CIRCIA proposed),
each started by its own trigger event. Refused commands write nothing.

The "crisis" section of --config sets severities, audiences and templates,
the standing stakeholder register and extra regimes; "notify" the channels
(SMTP e-mail, Slack, Teams, signed webhooks); "budget" the loaded rates the
incident's cost uses. See docs/crisis.md.

Times: RFC 3339, "2026-03-08 01:12" (UTC) or relative (-30m, +4h).`,
		Example: `  watchfloor crisis manage --major-incident declare --title "BEC on finance mailboxes" --severity SEV1 --case demo/C-002388 --aware-at -2h --regimes gdpr,nis2
  watchfloor crisis manage --major-incident role MI-1 --assign scribe --to zzimmer
  watchfloor crisis manage --major-incident event MI-1 --type notified --regime nis2 --report early-warning --reference CSIRT-42
  watchfloor crisis manage --major-incident status MI-1 -o json`,
	}
	pf := manage.PersistentFlags()
	pf.BoolVar(&c.major, "major-incident", false, "manage major incidents")
	pf.StringVar(&c.configPath, "config", "", "YAML file with the crisis, notify and budget settings (see docs/crisis.md)")
	manage.AddCommand(c.declare(), c.list(), c.status(), c.event(), c.role(), c.update(), c.task(), c.notify(), c.close(), c.review())
	pf.BoolVar(&a.demo, "demo", false, "fill an empty store with the simulated demo SOC first")
	cmd.AddCommand(manage)
	return cmd
}

func (c *crisisCmd) declare() *cobra.Command {
	var in crisis.DeclareInput
	var aware, at, regimes string
	var noRegimes bool
	cmd := &cobra.Command{
		Use:   "declare --title T --severity SEV1 [--case ID]... [--aware-at TIME] [--regimes gdpr,nis2,dora,sec,hipaa]",
		Short: "Declare a major incident (the declarer is its commander unless --commander names another)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.run(cmd, "declare", func(ctx context.Context, svc *crisis.Service, actor crisis.Actor) error {
				now := time.Now()
				var err error
				if in.AwareAt, err = parseWhen("--aware-at", aware, now); err != nil {
					return err
				}
				if in.At, err = parseWhen("--at", at, now); err != nil {
					return err
				}
				if cmd.Flags().Changed("regimes") || noRegimes {
					in.Regimes = splitList(regimes)
				}
				inc, err := svc.Declare(ctx, actor, in)
				if err != nil {
					return err
				}
				return c.showStatus(ctx, svc, inc.Ref)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&in.Title, "title", "", "what the incident is (default: the first case's title)")
	f.StringVar(&in.Severity, "severity", "", "severity: SEV1, SEV2 or SEV3 (or configured names)")
	f.StringArrayVar(&in.Cases, "case", nil, "linked case: Watchfloor id or SOURCE/EXTERNAL_ID (repeatable)")
	f.StringVar(&aware, "aware-at", "", "when the organisation became aware (starts the awareness clocks)")
	f.StringVar(&regimes, "regimes", "", "regulatory regimes, comma-separated (default: the configured default_regimes)")
	f.BoolVar(&noRegimes, "no-regimes", false, "no regulatory regime, even if the configuration names defaults")
	f.StringVar(&in.Commander, "commander", "", "incident commander (default: you)")
	f.StringVar(&at, "at", "", "when it was declared (default now)")
	return cmd
}

func splitList(s string) []string {
	out := []string{}
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (c *crisisCmd) list() *cobra.Command {
	var open bool
	var limit int
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List major incidents, newest first, with what needs attention",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.run(cmd, "", func(ctx context.Context, svc *crisis.Service, _ crisis.Actor) error {
				items, err := svc.List(ctx, open, limit)
				if err != nil {
					return err
				}
				if c.a.format == "json" {
					return c.a.render(output.Table{JSON: items})
				}
				t := output.Table{Title: "Major incidents", Columns: []string{"ref", "severity", "status", "commander", "declared",
					"next update", "clocks overdue", "at risk", "next deadline", "overdue tasks", "cases", "title"}}
				for _, it := range items {
					t.Rows = append(t.Rows, []string{it.Ref, it.Severity, string(it.Status), it.Commander, fmtTime(it.DeclaredAt),
						cadenceText(it.NextUpdate), strconv.Itoa(it.ClocksOverdue), strconv.Itoa(it.ClocksAtRisk),
						deadlineText(it.NextDeadline, it.NextDeadlineReport), strconv.Itoa(it.OverdueTasks), strconv.Itoa(it.Cases), it.Title})
				}
				return c.a.render(t)
			})
		},
	}
	cmd.Flags().BoolVar(&open, "open", false, "only incidents not closed")
	cmd.Flags().IntVar(&limit, "limit", 50, "maximum incidents to list")
	return cmd
}

func timePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return fmtTime(*t)
}

func deadlineText(t *time.Time, what string) string {
	if t == nil {
		return ""
	}
	return fmtTime(*t) + " " + what
}

func cadenceText(c crisis.Cadence) string {
	switch c.State {
	case crisis.CadenceClosed:
		return "closed"
	case crisis.CadenceOverdue:
		return "OVERDUE by " + fmtDur(c.OverdueSeconds)
	case crisis.CadenceDueSoon:
		return "due in " + fmtDur(c.RemainingSeconds)
	}
	return "in " + fmtDur(c.RemainingSeconds)
}

func clockLeft(k crisis.Clock) string {
	switch {
	case k.OverdueSeconds > 0 && k.State == crisis.ClockLate:
		return "late by " + fmtDur(k.OverdueSeconds)
	case k.OverdueSeconds > 0:
		return "OVERDUE by " + fmtDur(k.OverdueSeconds)
	case k.RemainingSeconds > 0:
		return fmtDur(k.RemainingSeconds) + " left"
	}
	return ""
}

func (c *crisisCmd) status() *cobra.Command {
	return &cobra.Command{
		Use:   "status ID",
		Short: "An incident's war-room view: roles, clocks, next update, tasks, pinned entries, timeline, stakeholders, cost",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.run(cmd, "", func(ctx context.Context, svc *crisis.Service, _ crisis.Actor) error {
				return c.showStatus(ctx, svc, args[0])
			})
		},
	}
}

// showStatus prints an incident's status view.
func (c *crisisCmd) showStatus(ctx context.Context, svc *crisis.Service, ref string) error {
	v, err := svc.Status(ctx, ref)
	if err != nil {
		return err
	}
	a := c.a
	if a.format == "json" {
		return a.render(output.Table{JSON: v})
	}
	sev := v.Severity
	if v.SeverityName != "" {
		sev += " (" + v.SeverityName + ")"
	}
	head := output.Table{Title: v.Ref + " " + v.Title, Columns: []string{"field", "value"}, Rows: [][]string{
		{"severity", sev}, {"status", string(v.Status)}, {"commander", v.Commander},
		{"declared", fmtTime(v.DeclaredAt) + " by " + v.DeclaredBy}, {"closed", timePtr(v.ClosedAt)},
		{"next status update", cadenceText(v.NextUpdate) + " (" + timePtr(v.NextUpdate.DueAt) + ", every " + fmtDur(v.NextUpdate.EverySeconds) + ")"},
		{"vacant roles", strings.Join(v.VacantRoles, ", ")}, {"regimes", strings.Join(v.Regimes, ", ")},
		{"as of", fmtTime(v.Now) + " (calendar days in " + v.TimeZone + ")"},
	}}
	if v.Handover != "" {
		head.Rows = append(head.Rows, []string{"handed over to", v.Handover})
	}
	tables := []output.Table{head}
	roles := output.Table{Title: "Roles", Columns: []string{"role", "held by"}}
	for _, r := range v.Roles {
		roles.Rows = append(roles.Rows, []string{r.Title, strings.Join(r.People, ", ")})
	}
	tables = append(tables, roles)
	clocks := output.Table{Title: "Regulatory clocks", Columns: []string{"regime", "report", "starts at", "triggered", "due", "state", "time", "submitted", "note"}}
	for _, k := range v.Clocks {
		name := k.RegimeName
		if k.Proposed {
			name += " [proposed]"
		}
		clocks.Rows = append(clocks.Rows, []string{name, k.Report, k.Trigger + " + " + k.Within, timePtr(k.TriggeredAt), timePtr(k.DueAt),
			string(k.State), clockLeft(k), timePtr(k.SubmittedAt), k.Note})
	}
	tables = append(tables, clocks)
	if v.Tactical != nil {
		tables = append(tables, output.Table{Title: "Latest status update (" + fmtTime(v.Tactical.At) + ", " + v.Tactical.Author + ")",
			Columns: []string{"", ""}, Rows: [][]string{{"conditions", v.Tactical.Conditions}, {"actions", v.Tactical.Actions}, {"needs", v.Tactical.Needs}}})
	}
	if v.Executive != nil {
		tables = append(tables, output.Table{Title: "Latest executive summary (" + fmtTime(v.Executive.At) + ")", Columns: []string{"summary"},
			Rows: [][]string{{v.Executive.Summary}}})
	}
	tables = append(tables, taskTable(v.Tasks, v.Now))
	pinned := output.Table{Title: "Pinned", Columns: []string{"seq", "at", "type", "entry"}}
	for _, e := range v.Pinned {
		pinned.Rows = append(pinned.Rows, []string{strconv.FormatInt(e.Seq, 10), fmtTime(e.At), e.Type, e.Text})
	}
	tables = append(tables, pinned)
	tl := output.Table{Title: fmt.Sprintf("Timeline (%d entries; latest 20)", len(v.Timeline)), Columns: []string{"seq", "at", "type", "entry", "by"}}
	for _, e := range v.Timeline[max(0, len(v.Timeline)-20):] {
		pin := ""
		if e.Pinned {
			pin = "*"
		}
		tl.Rows = append(tl.Rows, []string{strconv.FormatInt(e.Seq, 10) + pin, fmtTime(e.At), e.Type, e.Text, e.Actor})
	}
	tables = append(tables, tl)
	sh := output.Table{Title: "Stakeholders", Columns: []string{"name", "audience", "channel", "address", "last message", "status"}}
	for _, s := range v.Stakeholders {
		sh.Rows = append(sh.Rows, []string{s.Name, s.Audience, s.Channel, s.Address, timePtr(s.LastMessageAt), s.LastStatus})
	}
	tables = append(tables, sh)
	cases := output.Table{Title: "Linked cases", Columns: []string{"id", "case", "priority", "stage", "assignee", "alerts", "title"}}
	for _, k := range v.Cases {
		cases.Rows = append(cases.Rows, []string{strconv.FormatInt(k.ID, 10), k.Source + "/" + k.ExternalID, k.Priority, k.Stage, k.Assignee,
			strconv.FormatInt(k.Alerts, 10), k.Title})
	}
	tables = append(tables, cases, costTable(v.Cost))
	for i, t := range tables {
		if i > 0 {
			fmt.Fprintln(a.stdout)
		}
		if err := a.render(t); err != nil {
			return err
		}
	}
	for _, n := range v.Cost.Notes {
		fmt.Fprintln(a.stdout, "note: "+output.Terminal(n))
	}
	return nil
}

func taskTable(tasks []crisis.Task, now time.Time) output.Table {
	t := output.Table{Title: "Tasks", Columns: []string{"task", "title", "owner", "due", "status", ""}}
	for _, k := range tasks {
		flag := ""
		if k.Overdue(now) {
			flag = "OVERDUE"
		}
		if k.FollowUp {
			flag = strings.TrimSpace(flag + " follow-up")
		}
		due := ""
		if !k.Due.IsZero() {
			due = fmtTime(k.Due)
		}
		t.Rows = append(t.Rows, []string{"T" + strconv.Itoa(k.ID), k.Title, k.Owner, due, k.Status, flag})
	}
	return t
}

func costTable(c crisis.Cost) output.Table {
	t := output.Table{Title: fmt.Sprintf("Cost: %s for %s h of people's time (%s h priced)", strings.TrimSpace(staffNum(c.Total, 2)+" "+c.Currency),
		staffNum(c.Hours, 1), staffNum(c.PricedHours, 1)), Columns: []string{"role", "people", "hours", "priced hours", "cost"}}
	for _, r := range c.ByRole {
		t.Rows = append(t.Rows, []string{r.Title, strconv.Itoa(r.People), staffNum(r.Hours, 2), staffNum(r.PricedHours, 2), staffNum(r.Cost, 2)})
	}
	if len(c.Unpriced) > 0 {
		t.Rows = append(t.Rows, []string{"not priced: " + strings.Join(c.Unpriced, ", ")})
	}
	return t
}

// changed prints the incident after a write: its status view as JSON, or
// one line for people.
func (c *crisisCmd) changed(ctx context.Context, svc *crisis.Service, inc *crisis.Incident, what string) error {
	if c.a.format == "json" {
		return c.showStatus(ctx, svc, inc.Ref)
	}
	fmt.Fprintf(c.a.stdout, "%s: %s (log at entry %d)\n", inc.Ref, output.Terminal(what), inc.LastSeq)
	return nil
}

func (c *crisisCmd) event() *cobra.Command {
	var in crisis.EventInput
	var at string
	var unpin int64
	cmd := &cobra.Command{
		Use:   "event ID --type aware|reasonable-belief|classified-major|materiality-determined|ransom-paid|notified|decision|action|observation|communication [--at TIME] [--regime R]",
		Short: "Record a regulatory trigger, a submission (notified), or a timeline entry; pin entries",
		Long: `Trigger events start regulatory clocks: aware (GDPR, NIS2, HIPAA, and DORA's
24 h cap), reasonable-belief (CIRCIA), classified-major (DORA),
materiality-determined (SEC 8-K), ransom-paid (CIRCIA). --regime scopes a
trigger to one regime; a later trigger of the same type corrects an earlier
one. "notified" records a submission: --regime, and --report when the regime
has several (default: its running clock due first). decision, action,
observation and communication add timeline entries (--text).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.run(cmd, "event", func(ctx context.Context, svc *crisis.Service, actor crisis.Actor) error {
				var err error
				if in.At, err = parseWhen("--at", at, time.Now()); err != nil {
					return err
				}
				if unpin != 0 {
					in.PinSeq, in.Unpin = unpin, true
				}
				inc, err := svc.RecordEvent(ctx, actor, args[0], in)
				if err != nil {
					return err
				}
				return c.changed(ctx, svc, inc, "recorded "+in.Type)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&in.Type, "type", "", "what happened (see above)")
	f.StringVar(&at, "at", "", "when it happened (default now)")
	f.StringVar(&in.Regime, "regime", "", "the regime a trigger or submission concerns")
	f.StringVar(&in.Report, "report", "", "the report submitted (with --type notified)")
	f.StringVar(&in.Reference, "reference", "", "the authority's reference of a submission")
	f.StringVar(&in.Text, "text", "", "what was decided, done, seen or said")
	f.BoolVar(&in.Pin, "pin", false, "pin the new entry")
	f.Int64Var(&in.PinSeq, "pin-entry", 0, "pin the timeline entry with this sequence number")
	f.Int64Var(&unpin, "unpin-entry", 0, "unpin the timeline entry with this sequence number")
	return cmd
}

func (c *crisisCmd) role() *cobra.Command {
	var in crisis.RoleInput
	var assign, release, at string
	cmd := &cobra.Command{
		Use:   "role ID --assign ROLE --to NAME [--handover] | --release ROLE [--from NAME]",
		Short: "Assign, hand over or release an incident role (commander, deputy, scribe, comms, tech-lead, liaison, participant, observer)",
		Long: `Single roles (commander, deputy, scribe, comms, tech-lead) have one holder:
giving one to someone else needs --handover. The commander cannot step down
while the incident is open; command passes only by hand-over.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.run(cmd, "role", func(ctx context.Context, svc *crisis.Service, actor crisis.Actor) error {
				switch {
				case (assign == "") == (release == ""):
					return errors.New("give either --assign ROLE --to NAME or --release ROLE")
				case release != "":
					in.Role, in.Release = release, true
				default:
					in.Role = assign
				}
				var err error
				if in.At, err = parseWhen("--at", at, time.Now()); err != nil {
					return err
				}
				inc, err := svc.AssignRole(ctx, actor, args[0], in)
				if err != nil {
					return err
				}
				return c.changed(ctx, svc, inc, inc.Timeline[len(inc.Timeline)-1].Text)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&assign, "assign", "", "role to give")
	f.StringVar(&in.Person, "to", "", "who takes the role")
	f.BoolVar(&in.Handover, "handover", false, "hand a single role over from its current holder")
	f.StringVar(&release, "release", "", "role to release")
	f.StringVar(&in.Person, "from", "", "who releases it (default: the single role's holder)")
	f.StringVar(&at, "at", "", "when (default now)")
	return cmd
}

func (c *crisisCmd) update() *cobra.Command {
	var in crisis.UpdateInput
	var at string
	cmd := &cobra.Command{
		Use:   "update ID [--conditions C --actions A --needs N] [--summary S] [--severity S] [--status active|stable] [--title T]",
		Short: "Post a status update (tactical: conditions, actions, needs; or an executive summary) and change severity, status, title, regimes or cases",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.run(cmd, "update", func(ctx context.Context, svc *crisis.Service, actor crisis.Actor) error {
				var err error
				if in.At, err = parseWhen("--at", at, time.Now()); err != nil {
					return err
				}
				inc, err := svc.PostUpdate(ctx, actor, args[0], in)
				if err != nil {
					return err
				}
				return c.changed(ctx, svc, inc, "updated; "+string(inc.Status)+" at "+inc.Severity)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&in.Conditions, "conditions", "", "tactical update: the situation now")
	f.StringVar(&in.Actions, "actions", "", "tactical update: what is being done")
	f.StringVar(&in.Needs, "needs", "", `tactical update: what is needed ("none" when nothing)`)
	f.StringVar(&in.Summary, "summary", "", "executive summary")
	f.StringVar(&in.Severity, "severity", "", "new severity")
	f.StringVar(&in.Status, "status", "", "new status: active or stable")
	f.StringVar(&in.Title, "title", "", "new title")
	f.StringArrayVar(&in.AddRegimes, "add-regime", nil, "make the incident subject to another regime (repeatable)")
	f.StringArrayVar(&in.Cases, "case", nil, "link another case (repeatable)")
	f.StringVar(&at, "at", "", "when (default now)")
	return cmd
}

func (c *crisisCmd) task() *cobra.Command {
	var in crisis.TaskInput
	var add, due string
	var done int
	cmd := &cobra.Command{
		Use:   "task ID [--add TITLE --owner NAME --due TIME] [--id N --status S|--owner|--due] [--done N]",
		Short: "List the incident's tasks, add one, or change one (overdue tasks are flagged)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			write := add != "" || in.ID != 0 || done != 0
			verb := ""
			if write {
				verb = "task"
			}
			return c.run(cmd, verb, func(ctx context.Context, svc *crisis.Service, actor crisis.Actor) error {
				if !write {
					v, err := svc.Status(ctx, args[0])
					if err != nil {
						return err
					}
					if c.a.format == "json" {
						return c.a.render(output.Table{JSON: v.Tasks})
					}
					return c.a.render(taskTable(v.Tasks, v.Now))
				}
				var err error
				if in.Due, err = parseWhen("--due", due, time.Now()); err != nil {
					return err
				}
				if done != 0 {
					in.ID, in.Status = done, crisis.TaskDone
				}
				if add != "" && in.ID != 0 {
					return errors.New("give --add to add a task or --id/--done to change one, not both")
				}
				in.Title = add
				inc, err := svc.Task(ctx, actor, args[0], in)
				if err != nil {
					return err
				}
				return c.changed(ctx, svc, inc, inc.Timeline[len(inc.Timeline)-1].Text)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&add, "add", "", "add a task with this title")
	f.IntVar(&in.ID, "id", 0, "the task to change (its number: 3 for T3)")
	f.IntVar(&done, "done", 0, "mark this task done")
	f.StringVar(&in.Owner, "owner", "", "owner")
	f.StringVar(&due, "due", "", "due time")
	f.StringVar(&in.Status, "status", "", "status: open, in_progress, done or cancelled")
	return cmd
}

func (c *crisisCmd) notify() *cobra.Command {
	var in crisis.NotifyInput
	var register, channel, address string
	cmd := &cobra.Command{
		Use:   "notify ID --audience A [--note TEXT] [--dry-run] | --audience A --register NAME --channel C [--address ADDR]",
		Short: "Send the audience's message to its stakeholders (recorded on the timeline), preview it, or register a stakeholder",
		Long: `Audiences: responders, executives, legal (internal); regulator, customers,
media, partners (external). Each has a template filled from the incident
(configurable in the crisis section of --config). Channels come from the
notify section: SMTP e-mail, Slack and Teams webhooks, signed JSON webhooks.
Every message and its delivery outcome is recorded on the timeline; failed
deliveries are retried with backoff (by "serve" in the background).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			verb := "notify"
			if in.DryRun {
				verb = ""
			}
			return c.run(cmd, verb, func(ctx context.Context, svc *crisis.Service, actor crisis.Actor) error {
				if register != "" {
					in.Register = &crisis.Stakeholder{Name: register, Channel: channel, Address: address}
				}
				res, err := svc.Notify(ctx, actor, args[0], in)
				if err != nil {
					return err
				}
				if c.a.format == "json" {
					return c.a.render(output.Table{JSON: res})
				}
				if res.Registered != nil {
					fmt.Fprintf(c.a.stdout, "registered %s for %s via %s\n", output.Terminal(res.Registered.Name), res.Registered.Audience,
						output.Terminal(res.Registered.Channel))
					return nil
				}
				fmt.Fprintf(c.a.stdout, "Subject: %s\n\n%s\n", output.Terminal(res.Draft.Subject), output.Terminal(res.Draft.Body))
				if in.DryRun {
					fmt.Fprintf(c.a.stdout, "(dry run: %d recipient(s), nothing sent)\n", len(res.Draft.Recipients))
					return nil
				}
				t := output.Table{Title: "Deliveries", Columns: []string{"stakeholder", "channel", "status", "attempts", "delivery", "error"}}
				failed := 0
				for _, m := range res.Messages {
					t.Rows = append(t.Rows, []string{m.Stakeholder, m.Channel, m.Status, strconv.Itoa(m.Attempts), strconv.FormatInt(m.DeliveryID, 10), m.Error})
					if m.Status != notify.StatusSent {
						failed++
					}
				}
				if err := c.a.render(t); err != nil {
					return err
				}
				if failed > 0 {
					return fmt.Errorf("%d of %d messages not delivered yet (retrying ones are retried by serve)", failed, len(res.Messages))
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&in.Audience, "audience", "", "responders, executives, legal, regulator, customers, media or partners")
	f.StringVar(&in.Note, "note", "", "extra text for the message")
	f.BoolVar(&in.DryRun, "dry-run", false, "show the message and its recipients without sending")
	f.StringVar(&register, "register", "", "register this stakeholder for the audience instead of sending")
	f.StringVar(&channel, "channel", "", "with --register: the notification channel")
	f.StringVar(&address, "address", "", "with --register: the e-mail address")
	return cmd
}

func (c *crisisCmd) close() *cobra.Command {
	var in crisis.CloseInput
	var at string
	cmd := &cobra.Command{
		Use:   "close ID --handover-to NAME [--summary TEXT]",
		Short: "Close the incident: the commander hands open tasks and the review over to a named owner; all roles end",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.run(cmd, "close", func(ctx context.Context, svc *crisis.Service, actor crisis.Actor) error {
				var err error
				if in.At, err = parseWhen("--at", at, time.Now()); err != nil {
					return err
				}
				inc, err := svc.Close(ctx, actor, args[0], in)
				if err != nil {
					return err
				}
				return c.changed(ctx, svc, inc, "closed; handed over to "+inc.Handover)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&in.Handover, "handover-to", "", "who takes over the open tasks and the post-incident review (required)")
	f.StringVar(&in.Summary, "summary", "", "closing summary")
	f.StringVar(&at, "at", "", "when (default now)")
	return cmd
}

func (c *crisisCmd) review() *cobra.Command {
	var lessons, roadmap, actions []string
	var category, owner, due string
	cmd := &cobra.Command{
		Use:   "review ID [--lesson TEXT]... [--roadmap-lesson TEXT]... [--action TEXT --owner NAME [--due TIME]]",
		Short: "Post-incident review: durations from the timeline, update cadence, clocks, decisions, follow-up actions, lessons (roadmap inputs), cost",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			write := len(lessons)+len(roadmap)+len(actions) > 0
			verb := ""
			if write {
				verb = "review"
			}
			return c.run(cmd, verb, func(ctx context.Context, svc *crisis.Service, actor crisis.Actor) error {
				if write {
					var in crisis.ReviewInput
					for _, l := range lessons {
						in.Lessons = append(in.Lessons, crisis.Lesson{Text: l, Category: category})
					}
					for _, l := range roadmap {
						in.Lessons = append(in.Lessons, crisis.Lesson{Text: l, Category: category, Roadmap: true})
					}
					d, err := parseWhen("--due", due, time.Now())
					if err != nil {
						return err
					}
					for _, x := range actions {
						in.Actions = append(in.Actions, crisis.TaskInput{Title: x, Owner: owner, Due: d})
					}
					if _, err := svc.RecordReview(ctx, actor, args[0], in); err != nil {
						return err
					}
				}
				r, err := svc.Review(ctx, args[0])
				if err != nil {
					return err
				}
				return c.showReview(r)
			})
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&lessons, "lesson", nil, "record a lesson learned (repeatable)")
	f.StringArrayVar(&roadmap, "roadmap-lesson", nil, "record a lesson that is an input to the SOC roadmap (repeatable)")
	f.StringVar(&category, "category", "", "category of the lessons recorded (detection, response, communication, tooling, process …)")
	f.StringArrayVar(&actions, "action", nil, "record a follow-up action (repeatable; needs --owner)")
	f.StringVar(&owner, "owner", "", "owner of the follow-up actions recorded")
	f.StringVar(&due, "due", "", "due time of the follow-up actions recorded")
	return cmd
}

func (c *crisisCmd) showReview(r *crisis.ReviewView) error {
	a := c.a
	if a.format == "json" {
		return a.render(output.Table{JSON: r})
	}
	d := output.Table{Title: "Post-incident review " + r.Ref + " " + r.Title + " (" + string(r.Status) + ")", Columns: []string{"duration", "from", "to", "length", "definition", "note"}}
	for _, p := range r.Phases {
		l := ""
		if p.Seconds != nil {
			l = fmtDur(*p.Seconds)
		}
		d.Rows = append(d.Rows, []string{p.Name, timePtr(p.From), timePtr(p.To), l, p.Definition, p.Note})
	}
	u := output.Table{Title: "Status updates", Columns: []string{"updates", "late gaps", "longest gap", "definition"},
		Rows: [][]string{{strconv.Itoa(r.Cadence.Updates), strconv.Itoa(r.Cadence.Late), fmtDur(r.Cadence.LongestGapSeconds), r.Cadence.Definition}}}
	k := output.Table{Title: "Regulatory clocks", Columns: []string{"regime", "report", "due", "submitted", "state"}}
	for _, x := range r.Clocks {
		k.Rows = append(k.Rows, []string{x.RegimeName, x.Report, timePtr(x.DueAt), timePtr(x.SubmittedAt), string(x.State)})
	}
	dec := output.Table{Title: "Decisions", Columns: []string{"at", "decision", "by"}}
	for _, e := range r.Decisions {
		dec.Rows = append(dec.Rows, []string{fmtTime(e.At), e.Text, e.Actor})
	}
	ls := output.Table{Title: "Lessons learned", Columns: []string{"lesson", "category", "roadmap input"}}
	for _, l := range r.Lessons {
		yes := ""
		if l.Roadmap {
			yes = "yes"
		}
		ls.Rows = append(ls.Rows, []string{l.Text, l.Category, yes})
	}
	open := taskTable(r.OpenTasks, time.Now())
	open.Title = "Open tasks"
	fu := taskTable(r.FollowUps, time.Now())
	fu.Title = "Follow-up actions"
	for i, t := range []output.Table{d, u, k, dec, open, fu, ls, costTable(r.Cost)} {
		if i > 0 {
			fmt.Fprintln(a.stdout)
		}
		if err := a.render(t); err != nil {
			return err
		}
	}
	fmt.Fprintf(a.stdout, "\nmessages: %d sent, %d failed\n", r.MessagesSent, r.MessagesFailed)
	return nil
}
