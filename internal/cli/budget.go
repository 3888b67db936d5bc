package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/watchfloor/watchfloor/internal/budget"
	"github.com/watchfloor/watchfloor/internal/output"
	"github.com/watchfloor/watchfloor/internal/tech"
)

func (a *app) budgetCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "budget", Short: "Cost the SOC: staff, tools, services, unit costs and what-if scenarios"}
	cmd.AddCommand(a.budgetPlanCommand())
	return cmd
}

func (a *app) budgetPlanCommand() *cobra.Command {
	var pf planFlags
	var scenarios []string
	var socOps bool
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "SOC operations budget: cost lines, monthly and annual totals, unit costs, scenarios side by side",
		Long: `Plan costs today's roster and the staffing plan (see "resources plan"):
staff by tier at loaded cost, tools by pricing model (per GB a day, per
endpoint, per seat, flat), services and training, with monthly and annual
totals and the cost per alert, case, incident and endpoint.

Scenarios flow through the staffing model: automating or tuning away part of
a rule's alerts, growth, another triage time, shrinkage or target change the
workload, the analysts it needs and so the cost; each is a column beside the
baseline. Name scenarios from the configuration with --scenario NAME, or
write them inline: automate:RULE=0.3, tune:RULE=0.5, growth:0.2,
triage-time:4m, shrinkage:0.35, target-sl:0.95 (join parts with "+").

Prices come from the "budget" section of --config; staff costs fall back to
the hourly costs on the roster. Nothing is priced from built-in numbers.`,
		Example: `  watchfloor budget plan --soc-operations --demo
  watchfloor budget plan --soc-operations --config plan.yaml --scenario "automate:R-002=0.3" --scenario growth:0.25
  watchfloor budget plan --soc-operations --triage-time 4m --triage-share 0.15 --scenario "automate:R-002=0.3+automate:R-001=0.3" -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			scfg, err := pf.staffingConfig(cmd)
			if err != nil {
				return err
			}
			var bcfg budget.Config
			if pf.config != "" {
				if bcfg, err = budget.LoadConfig(pf.config); err != nil {
					return err
				}
			}
			st, err := a.openRead(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			bcfg, fromInventory, err := tech.BudgetWithInventory(cmd.Context(), st, bcfg)
			if err != nil {
				return err
			}
			p, err := budget.Build(cmd.Context(), st, scfg, bcfg, scenarios)
			if err != nil {
				return err
			}
			if len(fromInventory) > 0 {
				p.Notes = append(p.Notes, tech.InventoryNote(fromInventory))
			}
			if a.format == "json" {
				return a.render(output.Table{JSON: p})
			}
			return a.renderBudget(p)
		},
	}
	pf.add(cmd)
	f := cmd.Flags()
	f.BoolVar(&socOps, "soc-operations", true, "the SOC operations budget (the only budget so far)")
	f.StringArrayVar(&scenarios, "scenario", nil, "scenario to cost beside the baseline: a configured name or an inline spec (repeatable)")
	a.addDemoFlag(cmd)
	return cmd
}

func (a *app) renderBudget(p *budget.Plan) error {
	a.printf("SOC operations budget, %s a month\n", output.Terminal(p.Currency))
	for _, s := range p.Sources {
		a.println("  " + output.Terminal(s))
	}
	cols := []string{"category", "line", "basis"}
	for _, c := range p.Columns {
		cols = append(cols, c.Name)
	}
	a.println()
	t := output.Table{Title: "Monthly cost", Columns: cols}
	for _, l := range p.Lines {
		row := []string{l.Category, l.Name, l.Basis}
		for _, v := range l.Monthly {
			row = append(row, staffNum(v, 0))
		}
		t.Rows = append(t.Rows, row)
	}
	total := func(label string, f func(c budget.Column) string) {
		row := []string{"", label, ""}
		for _, c := range p.Columns {
			row = append(row, f(c))
		}
		t.Rows = append(t.Rows, row)
	}
	total("analysts (FTE)", func(c budget.Column) string { return staffNum(c.FTE, 1) })
	total("total a month", func(c budget.Column) string { return staffNum(c.Monthly, 0) })
	total("total a year", func(c budget.Column) string { return staffNum(c.Annual, 0) })
	total("vs staffing plan, a year", func(c budget.Column) string { return fmt.Sprintf("%+.0f", c.DeltaAnnual) })
	if err := a.render(t); err != nil {
		return err
	}
	a.println()
	ut := output.Table{Title: "Unit costs", Columns: append([]string{"unit"}, cols[3:]...)}
	for _, u := range p.Units {
		row := []string{u.Name}
		for i := range u.Cost {
			row = append(row, fmt.Sprintf("%s (%s/month)", staffNum(u.Cost[i], 2), staffNum(u.PerMonth[i], 0)))
		}
		ut.Rows = append(ut.Rows, row)
	}
	if err := a.render(ut); err != nil {
		return err
	}
	for _, c := range p.Columns[2:] {
		a.printf("\nScenario %q: %s\n", output.Terminal(c.Name), output.Terminal(strings.Join(c.Changes, "; ")))
		for _, n := range c.Notes {
			a.println("  note: " + output.Terminal(n))
		}
	}
	if len(p.Assumptions) > 0 {
		a.println()
		at := output.Table{Title: "Staffing assumptions (defaults, not your data)", Columns: []string{"input", "value", "note"}}
		for _, as := range p.Assumptions {
			at.Rows = append(at.Rows, []string{as.Input, as.Value, as.Note})
		}
		if err := a.render(at); err != nil {
			return err
		}
	}
	for _, n := range p.Notes {
		a.println("\nNote: " + output.Terminal(n))
	}
	return nil
}
