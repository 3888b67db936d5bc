package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/output"
	"github.com/watchfloor/watchfloor/internal/roadmap"
	"github.com/watchfloor/watchfloor/internal/staffing"
)

func (a *app) strategyCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "strategy",
		Short: "SOC strategy: the roadmap derived from coverage, threats, rule quality, SLAs, staffing, posture and runbooks",
	}
	cmd.AddCommand(a.strategyDevelopCommand())
	return cmd
}

func (a *app) strategyDevelopCommand() *cobra.Command {
	var wf windowFlags
	var socRoadmap, save bool
	var horizon, planConfig string
	cmd := &cobra.Command{
		Use:   "develop --soc-roadmap",
		Short: "Develop the SOC roadmap: prioritised items with evidence, expected KPI effect, effort and a Now/Next/Later bucket",
		Long: `Develop derives the roadmap from the data: coverage gaps for the techniques of
the most relevant threat profiles, SLA shortfalls per priority, hours of the
week the roster leaves below the staffing requirement, noisy rules to tune
(with the analyst hours a quarter they cost), automation candidates (with
the hours freed and the FTE effect through the staffing model), posture hot
spots and rules without a runbook. Each item cites its evidence (ids that
resolve, numbers and their definitions), the KPI it should move, an effort
class and a Now / Next / Later bucket. Inputs that are missing are listed
with how to add them. The roadmap is saved with its date (--save=false to
only show it); the next one says which of its items the data shows as done.`,
		Example: `  watchfloor strategy develop --soc-roadmap --demo
  watchfloor strategy develop --soc-roadmap --horizon 2q -o markdown`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !socRoadmap {
				return errors.New("say what to develop: --soc-roadmap")
			}
			h, err := roadmap.ParseHorizon(horizon)
			if err != nil {
				return fmt.Errorf("--horizon: %w", err)
			}
			var cfg staffing.Config
			if planConfig != "" {
				if cfg, err = staffing.LoadConfig(planConfig); err != nil {
					return err
				}
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
			svc := &roadmap.Service{Store: st, Metrics: metrics.NewService(st, nil), Staffing: cfg}
			r, err := svc.Develop(ctx, roadmap.Query{Horizon: h, WindowQuery: wf.query(), Save: save})
			if err != nil {
				return err
			}
			if save {
				a.log.Info("roadmap saved", "id", r.ID, "items", len(r.Items))
			}
			return a.renderRoadmap(r)
		},
	}
	wf.add(cmd)
	cmd.Flags().Lookup("timeframe").DefValue = "quarterly"
	wf.timeframe = "quarterly"
	cmd.Flags().BoolVar(&socRoadmap, "soc-roadmap", false, "develop the SOC roadmap")
	cmd.Flags().StringVar(&horizon, "horizon", "2q", "quarters planned: 1q … 8q (or months in whole quarters: 6m)")
	cmd.Flags().BoolVar(&save, "save", true, "save the roadmap with its date, so the next one reports what is done")
	cmd.Flags().StringVar(&planConfig, "plan-config", "", "staffing configuration (YAML) the staffing plan is sized with")
	a.addDemoFlag(cmd)
	return cmd
}

func (a *app) renderRoadmap(r *roadmap.Roadmap) error {
	if a.format == "json" {
		return a.render(output.Table{JSON: r})
	}
	title := fmt.Sprintf("SOC roadmap %s, horizon %s (%s), from %s", r.CreatedAt.Format("2006-01-02"), r.Horizon, strings.Join(r.Quarters, ", "), r.Window)
	if r.ID > 0 {
		title += fmt.Sprintf(" — saved as %d", r.ID)
	}
	t := output.Table{Name: "roadmap", Title: title, Columns: []string{"bucket", "quarter", "kind", "item", "effort", "KPI", "expected effect", "since"}}
	for _, it := range r.Items {
		since := ""
		if !it.Since.IsZero() {
			since = it.Since.Format("2006-01-02")
		}
		t.Rows = append(t.Rows, []string{it.Bucket, it.Quarter, it.Kind, it.Title, it.Effort, it.KPI, it.Effect, since})
	}
	if err := a.render(t); err != nil {
		return err
	}
	a.println()
	ev := output.Table{Name: "evidence", Title: "Evidence", Columns: []string{"item", "type", "id", "fact"}}
	for _, it := range r.Items {
		ev.Rows = append(ev.Rows, []string{it.Key, "why", "", it.Rationale})
		for _, e := range it.Evidence {
			ev.Rows = append(ev.Rows, []string{it.Key, e.Type, e.ID, e.Text})
		}
	}
	if err := a.render(ev); err != nil {
		return err
	}
	a.println()
	in := output.Table{Name: "inputs", Title: "Inputs", Columns: []string{"input", "available", "note"}}
	for _, x := range r.Inputs {
		yes := "yes"
		if !x.Available {
			yes = "MISSING"
		}
		in.Rows = append(in.Rows, []string{x.Name, yes, x.Note})
	}
	if err := a.render(in); err != nil {
		return err
	}
	if len(r.PreviousItems) > 0 {
		a.println()
		pt := output.Table{Name: "previous", Title: fmt.Sprintf("Items of roadmap %d (%s)", r.PreviousID, r.PreviousAt.Format("2006-01-02")), Columns: []string{"item", "status", "title"}}
		for _, p := range r.PreviousItems {
			pt.Rows = append(pt.Rows, []string{p.Key, p.Status, p.Title})
		}
		if err := a.render(pt); err != nil {
			return err
		}
	}
	a.println()
	for _, d := range r.Definitions {
		a.printf("Definition: %s\n", a.esc(d))
	}
	return nil
}
