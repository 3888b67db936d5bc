package cli

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/output"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/tech"
)

// spanFlag is a pflag value holding a span in days ("7d") or Go syntax.
type spanFlag struct{ d time.Duration }

func (f *spanFlag) String() string {
	if f.d == 0 {
		return ""
	}
	if f.d%(24*time.Hour) == 0 {
		return strconv.Itoa(int(f.d/(24*time.Hour))) + "d"
	}
	return f.d.String()
}

func (f *spanFlag) Set(s string) error {
	d, err := tech.ParseSpan(s)
	if err != nil {
		return err
	}
	f.d = d
	return nil
}

func (f *spanFlag) Type() string { return "span" }

func (a *app) techCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tech",
		Short: "Technology oversight: the health of the sources that send alerts",
		Long: `Tech oversees the SOC's technology. "tech health" judges every source that sends
alerts, and every source's rule, against what it usually sends at the same hour
of the week, and says which are silent, quiet, noisy, late or duplicate-heavy,
with the evidence (expected against seen, since when).`,
	}
	cmd.AddCommand(a.techHealthCommand(), a.techPipelineCommand(), a.techInventoryCommand())
	return cmd
}

func (a *app) techHealthCommand() *cobra.Command {
	var last spanFlag
	var at string
	var allRules bool
	cmd := &cobra.Command{
		Use:   "health",
		Short: "Source health: silent, quiet, noisy, late and duplicate-heavy sources and rules, with evidence",
		Long: tech.Definition + `

Sources and rules whose newest alert is older than --last (8 weeks by default)
are counted as retired and not judged. --at judges an instant in the past
(with the rollups up to the end of its hour).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			q := tech.HealthQuery{Active: last.d}
			if at != "" {
				t, err := time.Parse(time.RFC3339, at)
				if err != nil {
					return fmt.Errorf("--at: %w", err)
				}
				q.At = t
			}
			st, err := a.openRead(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			if ok, err := a.hasData(ctx, st); err != nil || !ok {
				return err
			}
			rep, err := (&tech.Service{Store: st}).Health(ctx, q)
			if err != nil {
				return err
			}
			if a.format == "json" {
				return a.render(output.Table{JSON: rep})
			}
			a.printf("Judged at %s (%s). %s\n", fmtTime(rep.JudgedAt), rep.TimeZone, stateCounts(rep.SourceStates, "source"))
			src := output.Table{Name: "sources", Title: "Sources",
				Columns: []string{"source", "state", "expected", "seen", "since", "last alert", "usual lag", "lag now", "evidence"}}
			for _, s := range rep.Sources {
				src.Rows = append(src.Rows, []string{s.Source, string(s.State), fmt.Sprintf("%.1f", s.Expected),
					strconv.FormatInt(s.Seen, 10), sinceText(s.Since), fmtTime(s.Last), lagText(s.UsualLag), lagText(s.WindowLag), evidence(s.Health)})
			}
			if err := a.render(src); err != nil {
				return err
			}
			rules := output.Table{Name: "rules", Title: "Rules " + stateCounts(rep.RuleStates, "rule"),
				Columns: []string{"source", "rule", "name", "state", "expected", "seen", "since", "last alert", "evidence"}}
			for _, r := range rep.Rules {
				if !allRules && (r.State == tech.Healthy || r.State == tech.Learning) {
					continue
				}
				rules.Rows = append(rules.Rows, []string{r.Source, r.Rule, r.RuleName, string(r.State), fmt.Sprintf("%.1f", r.Expected),
					strconv.FormatInt(r.Seen, 10), sinceText(r.Since), fmtTime(r.Last), evidence(r.Health)})
			}
			if !allRules {
				rules.Title += " (not healthy; --all-rules lists every rule)"
			}
			if err := a.render(rules); err != nil {
				return err
			}
			if rep.RetiredSources+rep.RetiredRules > 0 {
				a.printf("Not judged: %d sources and %d rules with no alert in the last %s.\n", rep.RetiredSources, rep.RetiredRules, (&spanFlag{rep.Active}).String())
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.Var(&last, "last", "judge the sources and rules with an alert in this span before now (e.g. 7d; default 8 weeks)")
	f.StringVar(&at, "at", "", "judge at this instant (RFC 3339) instead of now")
	f.BoolVar(&allRules, "all-rules", false, "list every rule, not only those that are not healthy")
	a.addDemoFlag(cmd)
	return cmd
}

// stateCounts says how many keys are in each state, worst first.
func stateCounts(m map[tech.State]int, noun string) string {
	var parts []string
	total := 0
	for _, s := range tech.States {
		if n := m[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
			total += n
		}
	}
	if total == 0 {
		return "no " + noun + "s judged"
	}
	return fmt.Sprintf("%d %s%s: %s", total, noun, plural(total), strings.Join(parts, ", "))
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func sinceText(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return fmtTime(*t)
}

func lagText(d time.Duration) string {
	if d == 0 {
		return "—"
	}
	return tech.Round(d).String()
}

// evidence is the reasons of the conditions that hold, worst first.
func evidence(h tech.Health) string {
	var out []string
	for _, c := range h.Conditions {
		out = append(out, string(c.State)+": "+c.Reason)
	}
	return strings.Join(out, "; ")
}

func (a *app) techPipelineCommand() *cobra.Command {
	var last spanFlag
	var at string
	cmd := &cobra.Command{
		Use:   "pipeline",
		Short: "Detection pipeline health: rules that stopped firing or jumped, imported rules that never fired, feeds that are failing",
		Long:  tech.PipelineDefinition,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			q := tech.HealthQuery{Active: last.d}
			if at != "" {
				t, err := time.Parse(time.RFC3339, at)
				if err != nil {
					return fmt.Errorf("--at: %w", err)
				}
				q.At = t
			}
			st, err := a.openRead(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			rep, err := (&tech.Service{Store: st}).Pipeline(ctx, q)
			if err != nil {
				return err
			}
			if a.format == "json" {
				return a.render(output.Table{JSON: rep})
			}
			a.printf("Judged at %s.\n", fmtTime(rep.JudgedAt))
			rules := func(name, title string, ks []tech.KeyHealth) error {
				t := output.Table{Name: name, Title: fmt.Sprintf("%s (%d)", title, len(ks)),
					Columns: []string{"source", "rule", "name", "state", "last alert", "alerts (8 weeks)", "evidence"}}
				for _, r := range ks {
					t.Rows = append(t.Rows, []string{r.Source, r.Rule, r.RuleName, string(r.State), fmtTime(r.Last), strconv.FormatInt(r.Alerts, 10), evidence(r.Health)})
				}
				return a.render(t)
			}
			if err := rules("stopped", "Rules that stopped firing", rep.Stopped); err != nil {
				return err
			}
			if err := rules("jumped", "Rules whose volume jumped", rep.Jumped); err != nil {
				return err
			}
			nf := output.Table{Name: "never-fired", Title: fmt.Sprintf("Imported rules that never fired (%d of %d imported)", len(rep.NeverFired), rep.ImportedRules),
				Columns: []string{"format", "id", "title", "status", "path"}}
			for _, r := range rep.NeverFired {
				nf.Rows = append(nf.Rows, []string{r.Format, r.ID, r.Title, r.Status, r.Path})
			}
			if err := a.render(nf); err != nil {
				return err
			}
			feeds := output.Table{Name: "feeds", Title: "Intelligence feeds",
				Columns: []string{"feed", "kind", "state", "interval", "last success", "last attempt", "failures", "since", "evidence"}}
			for _, f := range rep.Feeds {
				feeds.Rows = append(feeds.Rows, []string{f.Name, f.Kind, f.State, f.Interval.String(), sinceText(f.LastSuccess), sinceText(f.LastAttempt),
					strconv.Itoa(f.Failures), sinceText(f.Since), f.Reason})
			}
			return a.render(feeds)
		},
	}
	f := cmd.Flags()
	f.Var(&last, "last", "judge the rules with an alert in this span before now (e.g. 7d; default 8 weeks)")
	f.StringVar(&at, "at", "", "judge at this instant (RFC 3339) instead of now")
	a.addDemoFlag(cmd)
	return cmd
}

func (a *app) techInventoryCommand() *cobra.Command {
	var within int
	cmd := &cobra.Command{
		Use:   "inventory",
		Short: "The platforms the SOC runs: owner, version, cost, contract renewal, linked sources and their health",
		Long: `Inventory lists the platforms the SOC runs (SIEM, SOAR, EDR, threat intelligence,
e-mail security, cloud posture …) with vendor, version, owner, licence metric and
cost, the contract's renewal and notice dates, the renewals due within --within
days, and the health of the alert sources that belong to each. Load it from a
YAML file with "tech inventory import" (see docs/inventory-example.yaml) or edit
it with "tech inventory add" and "tech inventory remove".`,
		Args: cobra.NoArgs,
		RunE: a.reading(func(cmd *cobra.Command, _ []string, st *store.Store) error {
			ctx := cmd.Context()
			rep, err := (&tech.Service{Store: st}).Inventory(ctx, tech.HealthQuery{}, within)
			if err != nil {
				return err
			}
			if a.format == "json" {
				return a.render(output.Table{JSON: rep})
			}
			if len(rep.Platforms) == 0 {
				a.printf("No platforms in the inventory: add them with `watchfloor tech inventory import FILE.yaml` or `tech inventory add`.\n")
			}
			t := output.Table{Name: "platforms", Title: fmt.Sprintf("Platforms (%s)", rep.Day),
				Columns: []string{"platform", "category", "vendor", "version", "owner", "licence", "annual cost", "renewal", "in days", "notice by", "sources"}}
			for _, p := range rep.Platforms {
				cost := "—"
				if p.AnnualCost != nil {
					cost = fmt.Sprintf("%.0f", *p.AnnualCost)
				}
				days := "—"
				if p.RenewalInDays != nil {
					days = strconv.Itoa(*p.RenewalInDays)
					if p.RenewalDue {
						days += " (due)"
					}
				}
				notice := ""
				if p.NoticeBy != nil {
					notice = p.NoticeBy.String()
				}
				var srcs []string
				for _, s := range p.SourceStates {
					srcs = append(srcs, s.Source+": "+s.State)
				}
				t.Rows = append(t.Rows, []string{p.Name, p.Category, p.Vendor, p.Version, p.Owner, p.Licence, cost, p.Renewal.String(), days, notice, strings.Join(srcs, ", ")})
			}
			if err := a.render(t); err != nil {
				return err
			}
			a.printf("Renewals due within %d days: %s. Annual cost of the priced platforms: %.0f (%d priced by the budget's volumes or not priced).\n",
				rep.Window, orNone(rep.RenewalsDue), rep.AnnualCost, rep.Unpriced)
			if len(rep.Unlinked) > 0 {
				a.printf("Alert sources no platform claims: %s.\n", strings.Join(rep.Unlinked, ", "))
			}
			return nil
		}),
	}
	cmd.Flags().IntVar(&within, "within", tech.RenewalWindow, "renewals due within this many days")
	a.addDemoFlag(cmd)
	cmd.AddCommand(a.techInventoryImportCommand(), a.techInventoryAddCommand(), a.techInventoryRemoveCommand())
	return cmd
}

func orNone(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, ", ")
}

// saveInventory stores the inventory and audits the change.
func (a *app) saveInventory(ctx context.Context, st *store.Store, inv tech.Inventory, action, target string) error {
	if err := tech.SaveInventory(ctx, st, inv); err != nil {
		return err
	}
	a.auditCLI(ctx, &auth.Service{Store: st}, action, target, fmt.Sprintf("%d platforms", len(inv.Platforms)))
	return nil
}

func (a *app) techInventoryImportCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "import FILE.yaml",
		Short: "Replace the inventory with a YAML file's platforms (see docs/inventory-example.yaml)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			inv, err := tech.ParseInventory(f)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			st, err := a.open(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			if err := a.saveInventory(ctx, st, inv, "tech inventory import", "inventory"); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "stored %d platforms\n", len(inv.Platforms))
			return nil
		},
	}
}

func (a *app) techInventoryAddCommand() *cobra.Command {
	var p tech.Platform
	var cost tech.Cost
	var start, renewal string
	cmd := &cobra.Command{
		Use:   "add NAME --category siem|soar|edr|xdr|ndr|ti|email|cloud|identity|vulnerability|other",
		Short: "Add a platform to the inventory, or replace the one of the same name",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			p.Name = args[0]
			var err error
			if start != "" {
				if p.ContractStart, err = tech.ParseDate(start); err != nil {
					return fmt.Errorf("--contract-start: %w", err)
				}
			}
			if renewal != "" {
				if p.Renewal, err = tech.ParseDate(renewal); err != nil {
					return fmt.Errorf("--renewal: %w", err)
				}
			}
			if cost.Pricing != "" {
				p.Cost = &cost
			}
			if err := p.Validate(); err != nil {
				return err
			}
			st, err := a.open(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			inv, err := tech.LoadInventory(ctx, st)
			if err != nil {
				return err
			}
			inv.Put(p)
			if err := a.saveInventory(ctx, st, inv, "tech inventory add", "platform:"+p.Name); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "stored %s (%d platforms)\n", output.Terminal(p.Name), len(inv.Platforms))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&p.Category, "category", "", "siem, soar, edr, xdr, ndr, ti, email, cloud, identity, vulnerability or other")
	f.StringVar(&p.Vendor, "vendor", "", "vendor")
	f.StringVar(&p.Product, "product", "", "product")
	f.StringVar(&p.Version, "version", "", "version in use")
	f.StringVar(&p.Owner, "owner", "", "who owns the platform")
	f.StringVar(&p.Licence, "licence", "", "licence metric (endpoints, GB/day, seats …)")
	f.StringVar(&cost.Pricing, "pricing", "", "per_gb_day, per_endpoint, per_seat or flat")
	f.Float64Var(&cost.Price, "price", 0, "price per unit per --period")
	f.StringVar(&cost.Period, "period", "", "month (default) or year")
	f.Float64Var(&cost.Quantity, "quantity", 0, "units (GB a day, endpoints, seats) when fixed")
	f.StringVar(&start, "contract-start", "", "contract start (YYYY-MM-DD)")
	f.StringVar(&renewal, "renewal", "", "contract renewal (YYYY-MM-DD)")
	f.IntVar(&p.NoticeDays, "notice-days", 0, "notice period before the renewal, in days")
	f.StringSliceVar(&p.Sources, "sources", nil, "alert sources in Watchfloor that come from the platform")
	f.StringVar(&p.Notes, "notes", "", "notes")
	return cmd
}

func (a *app) techInventoryRemoveCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove a platform from the inventory",
		Args:  cobra.ExactArgs(1),
		RunE: a.reading(func(cmd *cobra.Command, args []string, st *store.Store) error {
			ctx := cmd.Context()
			inv, err := tech.LoadInventory(ctx, st)
			if err != nil {
				return err
			}
			if !inv.Remove(args[0]) {
				return fmt.Errorf("no platform %q in the inventory", args[0])
			}
			if err := a.saveInventory(ctx, st, inv, "tech inventory remove", "platform:"+args[0]); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "removed %s (%d platforms)\n", output.Terminal(args[0]), len(inv.Platforms))
			return nil
		}),
	}
}
