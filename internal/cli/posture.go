package cli

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/output"
	"github.com/watchfloor/watchfloor/internal/posture"
)

func (a *app) postureCommand() *cobra.Command {
	var daysBack, stepDays int
	var at string
	sla := map[model.Severity]*int{}
	cmd := &cobra.Command{
		Use:   "posture",
		Short: "Posture from the stored findings: open critical/high over time, mean time to remediate per severity, findings past their SLA",
		Long: `Posture computes, from the stored vulnerability and compliance findings (OCSF,
ASFF, SCC or native): the open critical and high findings at points --step-days
apart over the last --days, the mean time to remediate per severity of the
findings closed in that window (closed = resolved, suppressed, archived,
fixed, inactive, muted …; remediated at = last seen), and the open findings
older than their severity's remediation SLA. Definitions: package
internal/posture.`,
		Example: `  watchfloor posture --demo
  watchfloor posture --days 180 --sla-critical 7 -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if daysBack < 1 || stepDays < 1 {
				return fmt.Errorf("--days and --step-days must be at least 1")
			}
			to := time.Now().UTC()
			if at != "" {
				t, err := time.Parse(time.RFC3339, at)
				if err != nil {
					return fmt.Errorf("--at: %w", err)
				}
				to = t.UTC()
			}
			q := posture.Query{From: to.AddDate(0, 0, -daysBack), To: to, Step: time.Duration(stepDays) * 24 * time.Hour, SLA: map[model.Severity]time.Duration{}}
			for s, d := range sla {
				if *d < 0 {
					return fmt.Errorf("--sla-%s must not be negative", s)
				}
				q.SLA[s] = time.Duration(*d) * 24 * time.Hour
			}
			ctx := cmd.Context()
			st, err := a.openRead(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			r, err := posture.Load(ctx, st, q)
			if err != nil {
				return err
			}
			return a.renderPosture(r)
		},
	}
	cmd.Flags().IntVar(&daysBack, "days", 90, "window: the last N days")
	cmd.Flags().IntVar(&stepDays, "step-days", 7, "days between the trend's points")
	cmd.Flags().StringVar(&at, "at", "", "end of the window (RFC 3339; default now)")
	for _, s := range []model.Severity{model.SeverityCritical, model.SeverityHigh, model.SeverityMedium, model.SeverityLow} {
		d := int(posture.DefaultSLA[s].Hours() / 24)
		sla[s] = &d
		cmd.Flags().IntVar(sla[s], "sla-"+s.String(), d, "days allowed to remediate a "+s.String()+" finding (0: no SLA)")
	}
	a.addDemoFlag(cmd)
	return cmd
}

func (a *app) renderPosture(r posture.Report) error {
	if a.format == "json" {
		return a.render(output.Table{JSON: r})
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	trend := output.Table{Name: "trend", Columns: []string{"at", "open critical", "open high"},
		Title: fmt.Sprintf("Posture %s – %s: %d findings, %d open, %d undated", r.From.Format(time.DateOnly), r.To.Format(time.DateOnly), r.Findings, r.Open, r.Undated)}
	for _, p := range r.Trend {
		trend.Rows = append(trend.Rows, []string{p.At.Format(time.DateOnly), strconv.Itoa(p.Critical), strconv.Itoa(p.High)})
	}
	if err := a.render(trend); err != nil {
		return err
	}
	a.println()
	mt := output.Table{Name: "mttr", Title: "Mean time to remediate (findings closed in the window)", Columns: []string{"severity", "closed", "mean days", "max days"}}
	for _, m := range r.MTTR {
		mt.Rows = append(mt.Rows, []string{m.Severity, strconv.Itoa(m.Closed), f(m.MeanDays), f(m.MaxDays)})
	}
	if err := a.render(mt); err != nil {
		return err
	}
	a.println()
	od := output.Table{Name: "overdue", Title: fmt.Sprintf("Past their remediation SLA: %d critical, %d high, %d medium, %d low",
		r.PastSLA["critical"], r.PastSLA["high"], r.PastSLA["medium"], r.PastSLA["low"]),
		Columns: []string{"id", "severity", "title", "resource", "source", "age days", "SLA days", "days over"}}
	for _, o := range r.Overdue {
		od.Rows = append(od.Rows, []string{strconv.FormatInt(o.ID, 10), o.Severity, o.Title, o.Resource, o.Source, f(o.AgeDays), f(o.SLADays), f(o.OverDays)})
	}
	return a.render(od)
}
