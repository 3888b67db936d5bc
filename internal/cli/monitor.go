package cli

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/output"
	"github.com/watchfloor/watchfloor/internal/sla"
)

func (a *app) monitorCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "monitor", Short: "Live views of the watch floor"}
	cmd.AddCommand(a.monitorOperationsCommand())
	return cmd
}

func (a *app) monitorOperationsCommand() *cobra.Command {
	var dashboard, watch, kpis bool
	var interval time.Duration
	cmd := &cobra.Command{
		Use:   "operations --soc-dashboard",
		Short: "Queue by priority and stage, SLA at risk and breached, unassigned critical work, analyst load, inflow",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !dashboard {
				return errors.New("say what to show: --soc-dashboard")
			}
			if watch && a.format == "csv" {
				return errors.New("--watch does not go with -o csv (one table per invocation)")
			}
			ctx := cmd.Context()
			st, err := a.openRead(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			if ok, err := a.hasData(ctx, st); !ok || err != nil {
				return err
			}
			// One service: the open work is kept between --watch refreshes
			// until the data changes.
			svc := metrics.NewService(st, nil)
			for {
				if watch && a.format == "table" {
					fmt.Fprint(a.stdout, "\x1b[H\x1b[2J") // clear the screen between refreshes
				}
				if err := a.showDashboard(cmd, svc, kpis); err != nil {
					return err
				}
				if !watch {
					return nil
				}
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(interval):
				}
			}
		},
	}
	f := cmd.Flags()
	f.BoolVar(&dashboard, "soc-dashboard", false, "show the SOC dashboard")
	f.BoolVar(&watch, "watch", false, "refresh until interrupted")
	f.DurationVar(&interval, "interval", 10*time.Second, "refresh interval with --watch")
	f.BoolVar(&kpis, "kpis", false, "add today's KPIs (cases created today, organisation time zone)")
	f.Bool("realtime", false, "accepted for the /security:monitor command; the dashboard is always live")
	a.addDemoFlag(cmd)
	return cmd
}

func age(sec float64) string { return fmtDur(sec) }

func (a *app) showDashboard(cmd *cobra.Command, svc *metrics.Service, kpis bool) error {
	ctx := cmd.Context()
	d, err := svc.Dashboard(ctx)
	if err != nil {
		return err
	}
	var today *metrics.Report
	if kpis {
		if today, err = svc.Performance(ctx, metrics.PerformanceQuery{WindowQuery: metrics.WindowQuery{Timeframe: string(metrics.Daily)}}); err != nil {
			return err
		}
	}
	if a.format == "json" {
		return a.render(output.Table{JSON: struct {
			*metrics.Dashboard
			Today *metrics.Report `json:"today,omitempty"`
		}{d, today}})
	}
	a.printf("SOC dashboard %s (%s): %d open cases; inflow %d alerts in the last hour (24 h average %.0f/h), %d analysts on shift, %.1f alerts per analyst\n",
		d.Now.Format("2006-01-02 15:04Z"), d.TimeZone, d.Open, d.Inflow.LastHour, d.Inflow.HourlyAvg24h, d.Inflow.AnalystsOnShift, d.Inflow.PerAnalyst)
	a.printBasis(d.Now, d.Basis)
	a.println()
	q := output.Table{Name: "queue", Title: "Queue by priority and stage (count by age)", Columns: append([]string{"priority", "stage", "open"}, append(metrics.AgeLabels, "oldest")...)}
	for _, c := range d.Queue {
		row := []string{c.Priority, c.Stage, strconv.Itoa(c.Count)}
		for _, n := range c.ByAge {
			row = append(row, strconv.Itoa(n))
		}
		q.Rows = append(q.Rows, append(row, age(c.Oldest)))
	}
	if err := a.render(q); err != nil {
		return err
	}
	items := func(name, title string, list []metrics.Item) error {
		a.println()
		t := output.Table{Name: name, Title: title, Columns: []string{"case", "priority", "stage", "assignee", "age", "title"}}
		for _, it := range list {
			t.Rows = append(t.Rows, []string{it.Source + "/" + it.ExternalID, it.Priority, it.Stage, it.Assignee, age(it.Age), it.Title})
		}
		return a.render(t)
	}
	if err := items("unassigned-critical", fmt.Sprintf("Unassigned P1/P2 (%d)", len(d.UnassignedCritical)), d.UnassignedCritical); err != nil {
		return err
	}
	slaTable := func(name, title string, list []metrics.SLAItem) error {
		a.println()
		t := output.Table{Name: name, Title: title, Columns: []string{"case", "priority", "clock", "elapsed", "target", "remaining", "overdue", "assignee", "title"}}
		for i, s := range list {
			if i == 15 && a.format != "csv" {
				t.Rows = append(t.Rows, []string{fmt.Sprintf("… %d more", len(list)-15)})
				break
			}
			rem, over := "", ""
			if s.Remaining > 0 {
				rem = age(s.Remaining)
			}
			if s.Overdue > 0 {
				over = age(s.Overdue)
			}
			t.Rows = append(t.Rows, []string{s.Source + "/" + s.ExternalID, s.Priority, s.Clock, age(s.Elapsed), age(s.Target), rem, over, s.Assignee, s.Title})
		}
		return a.render(t)
	}
	if err := slaTable("sla-breached", fmt.Sprintf("SLA breached (%d)", len(d.Breached)), d.Breached); err != nil {
		return err
	}
	if err := slaTable("sla-at-risk", fmt.Sprintf("SLA at risk, past %.0f %% of target (%d)", sla.DefaultAtRisk*100, len(d.AtRisk)), d.AtRisk); err != nil {
		return err
	}
	if err := items("oldest", "Oldest open work", d.Oldest); err != nil {
		return err
	}
	a.println()
	l := output.Table{Name: "analysts", Title: "Analyst load", Columns: []string{"analyst", "name", "tier", "on shift", "open", "P1/P2"}}
	for _, x := range d.Analysts {
		on := ""
		if x.OnShift {
			on = "yes"
		}
		l.Rows = append(l.Rows, []string{x.Analyst, x.Name, x.Tier, on, strconv.Itoa(x.Open), strconv.Itoa(x.Critical)})
	}
	if err := a.render(l); err != nil {
		return err
	}
	if today != nil && len(today.Groups) > 0 {
		a.println()
		g := today.Groups[0]
		t := output.Table{Name: "today", Title: fmt.Sprintf("Today (%s): %d cases, SLA acknowledge %s, SLA resolve %s", today.Window, g.Cases,
			pctOf(g.SLAAcknowledge.Adherence), pctOf(g.SLAResolve.Adherence)), Columns: []string{"kpi", "count", "median", "p90", "mean", "open"}}
		for _, s := range g.KPIs {
			t.Rows = append(t.Rows, []string{string(s.KPI), itoa(s.Count), durOf(s.Median), durOf(s.P90), durOf(s.Mean), itoa(s.Open)})
		}
		return a.render(t)
	}
	return nil
}
