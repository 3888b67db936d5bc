package cli

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/output"
	"github.com/watchfloor/watchfloor/internal/store"
)

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

func (a *app) statusCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show what the store holds: record counts, alert sources, open cases by stage and priority",
		Args:  cobra.NoArgs,
		RunE: a.reading(func(cmd *cobra.Command, _ []string, st *store.Store) error {
			if ok, err := a.hasData(cmd.Context(), st); !ok || err != nil {
				return err
			}
			o, err := st.Overview(cmd.Context())
			if err != nil {
				return err
			}
			if a.format == "json" {
				return a.render(output.Table{JSON: o})
			}
			t := output.Table{Name: "tables", Title: "Store " + st.Engine().Describe(a.db), Columns: []string{"table", "rows"}}
			for _, name := range store.Tables {
				t.Rows = append(t.Rows, []string{name, strconv.FormatInt(o.Counts[name], 10)})
			}
			if err := a.render(t); err != nil {
				return err
			}
			if !o.FirstAlert.IsZero() {
				a.printf("\nalerts created %s … %s\n\n", fmtTime(o.FirstAlert), fmtTime(o.LastAlert))
			}
			src := output.Table{Name: "sources", Title: "Alerts by source", Columns: []string{"source", "alerts"}}
			keys := make([]string, 0, len(o.AlertsBySource))
			for k := range o.AlertsBySource {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				src.Rows = append(src.Rows, []string{k, strconv.FormatInt(o.AlertsBySource[k], 10)})
			}
			if err := a.render(src); err != nil {
				return err
			}
			a.println()
			open := output.Table{Name: "open", Title: "Open cases by stage and priority", Columns: []string{"stage"}}
			for _, p := range model.Priorities {
				open.Columns = append(open.Columns, p.String())
			}
			open.Columns = append(open.Columns, "unset", "total")
			for _, stage := range model.Stages {
				m, ok := o.OpenCases[stage]
				if !ok {
					continue
				}
				row := []string{string(stage)}
				var total int64
				for _, k := range append(model.Priorities, model.PriorityUnknown) {
					row = append(row, strconv.FormatInt(m[k], 10))
					total += m[k]
				}
				open.Rows = append(open.Rows, append(row, strconv.FormatInt(total, 10)))
			}
			return a.render(open)
		}),
	}
	a.addDemoFlag(cmd)
	return cmd
}

func (a *app) alertsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "alerts", Short: "List and inspect alerts"}
	var f store.AlertFilter
	var since time.Duration
	var minSev, disp string
	list := &cobra.Command{
		Use:   "list",
		Short: "List alerts, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if f.MinSeverity, err = model.ParseSeverity(minSev); err != nil {
				return fmt.Errorf("--min-severity: %w", err)
			}
			if f.Disposition, err = model.ParseDisposition(disp); err != nil {
				return fmt.Errorf("--disposition: %w", err)
			}
			st, err := a.openRead(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			if ok, err := a.hasData(cmd.Context(), st); !ok || err != nil {
				return err
			}
			if since > 0 {
				o, err := st.Overview(cmd.Context())
				if err != nil {
					return err
				}
				f.Since = o.LastAlert.Add(-since)
			}
			alerts, err := st.Alerts(cmd.Context(), f)
			if err != nil {
				return err
			}
			if a.format == "json" {
				return a.render(output.Table{JSON: alerts})
			}
			t := output.Table{Columns: []string{"id", "source", "external_id", "created", "severity", "rule", "disposition", "case", "title"}}
			for _, al := range alerts {
				t.Rows = append(t.Rows, []string{strconv.FormatInt(al.ID, 10), al.Source, al.ExternalID, fmtTime(al.CreatedAt),
					al.Severity.String(), al.RuleName, string(al.Disposition), al.CaseExternalID, al.Title})
			}
			return a.render(t)
		},
	}
	fl := list.Flags()
	fl.StringVar(&f.Source, "source", "", "only alerts from this source")
	fl.StringVar(&minSev, "min-severity", "", "only alerts at or above this severity")
	fl.StringVar(&disp, "disposition", "", "only alerts with this disposition")
	fl.StringVar(&f.RuleID, "rule", "", "only alerts raised by this rule id")
	fl.DurationVar(&since, "last", 0, "only alerts created in this span before the newest alert (e.g. 24h)")
	fl.IntVar(&f.Limit, "limit", 50, "maximum alerts to list")
	fl.Int64Var(&f.AfterID, "before-id", 0, "page: only alerts with a smaller id")
	a.addDemoFlag(list)
	cmd.AddCommand(list)
	return cmd
}

func (a *app) casesCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "cases", Short: "List and inspect cases"}
	var f store.CaseFilter
	var stage, prio string
	list := &cobra.Command{
		Use:   "list",
		Short: "List cases, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if stage != "" {
				if f.Stage, err = model.ParseStage(stage); err != nil {
					return fmt.Errorf("--stage: %w", err)
				}
			}
			if f.Priority, err = model.ParsePriority(prio); err != nil {
				return fmt.Errorf("--priority: %w", err)
			}
			st, err := a.openRead(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			if ok, err := a.hasData(cmd.Context(), st); !ok || err != nil {
				return err
			}
			cases, err := st.Cases(cmd.Context(), f)
			if err != nil {
				return err
			}
			if a.format == "json" {
				return a.render(output.Table{JSON: cases})
			}
			t := output.Table{Columns: []string{"id", "source", "external_id", "created", "priority", "stage", "status", "assignee", "disposition", "title"}}
			for _, c := range cases {
				t.Rows = append(t.Rows, []string{strconv.FormatInt(c.ID, 10), c.Source, c.ExternalID, fmtTime(c.CreatedAt),
					c.Priority.String(), string(c.Stage), c.Status, c.Assignee, string(c.Disposition), c.Title})
			}
			return a.render(t)
		},
	}
	fl := list.Flags()
	fl.StringVar(&f.Source, "source", "", "only cases from this source")
	fl.StringVar(&stage, "stage", "", "only cases in this stage")
	fl.BoolVar(&f.Open, "open", false, "only cases not resolved or closed")
	fl.StringVar(&prio, "priority", "", "only cases of this priority (P1…P5)")
	fl.StringVar(&f.Assignee, "assignee", "", "only cases assigned to this analyst")
	fl.IntVar(&f.Limit, "limit", 50, "maximum cases to list")
	fl.Int64Var(&f.AfterID, "before-id", 0, "page: only cases with a smaller id")
	a.addDemoFlag(list)

	show := &cobra.Command{
		Use:   "show SOURCE/EXTERNAL_ID",
		Short: "Show a case with its event log",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, ext, ok := strings.Cut(args[0], "/")
			if !ok {
				return errors.New("name the case as SOURCE/EXTERNAL_ID, e.g. servicenow/INC0000045")
			}
			st, err := a.openRead(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			c, err := st.CaseByExternalID(cmd.Context(), src, ext)
			if err != nil {
				return err
			}
			evs, err := st.CaseEvents(cmd.Context(), c.ID)
			if err != nil {
				return err
			}
			pruned, err := st.CaseLogPruned(cmd.Context(), c.ID)
			if err != nil {
				return err
			}
			note := ""
			if pruned != nil {
				note = pruned.Note()
			}
			if a.format == "json" {
				return a.render(output.Table{JSON: struct {
					Case      model.Case            `json:"case"`
					Events    []model.CaseEvent     `json:"events"`
					LogPruned *store.CaseLogPruning `json:"log_pruned,omitempty"`
					LogNote   string                `json:"log_note,omitempty"`
				}{c, evs, pruned, note}})
			}
			head := output.Table{Name: "case", Title: "Case " + c.Source + "/" + c.ExternalID, Columns: []string{"field", "value"}, Rows: [][]string{
				{"title", c.Title}, {"priority", c.Priority.String()}, {"stage", string(c.Stage)}, {"status", c.Status},
				{"assignee", c.Assignee}, {"team", c.Team}, {"disposition", string(c.Disposition)},
				{"created", fmtTime(c.CreatedAt)}, {"acknowledged", fmtTime(c.AcknowledgedAt)}, {"contained", fmtTime(c.ContainedAt)},
				{"resolved", fmtTime(c.ResolvedAt)}, {"closed", fmtTime(c.ClosedAt)},
			}}
			if err := a.render(head); err != nil {
				return err
			}
			a.println()
			if note != "" {
				if err := a.render(output.Table{Name: "log-pruned", Title: "Log pruned", Columns: []string{"note"}, Rows: [][]string{{note}}}); err != nil {
					return err
				}
				a.println()
			}
			log := output.Table{Name: "events", Title: "Event log", Columns: []string{"id", "at", "kind", "old", "new", "actor", "source"}}
			for _, e := range evs {
				log.Rows = append(log.Rows, []string{strconv.FormatInt(e.ID, 10), fmtTime(e.At), string(e.Kind), e.Old, e.New, e.Actor, e.Source})
			}
			return a.render(log)
		},
	}
	cmd.AddCommand(list, show)
	return cmd
}

// reading is the RunE of a command that only reads: it opens the store with
// openRead (which refuses a missing store), runs the command on it and
// closes it.
func (a *app) reading(run func(cmd *cobra.Command, args []string, st *store.Store) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		st, err := a.openRead(cmd.Context())
		if err != nil {
			return err
		}
		defer st.Close()
		return run(cmd, args, st)
	}
}
