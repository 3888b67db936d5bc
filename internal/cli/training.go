package cli

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/watchfloor/watchfloor/internal/output"
	"github.com/watchfloor/watchfloor/internal/staffing"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/training"
)

func (a *app) trainingCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "training",
		Short: "Team development: skills and certifications against what runbooks and queues need, gaps per shift, a training plan",
	}
	cmd.AddCommand(a.trainingAssessCommand(), a.trainingCertificationsCommand())
	return cmd
}

func (a *app) trainingAssessCommand() *cobra.Command {
	var teamSkills, certs bool
	var config, at string
	var historyDays, planItems int
	var warn durationFlag
	cmd := &cobra.Command{
		Use:   "assess --team-skills",
		Short: "Who on each shift can run each IRP, coverage gaps by hour of the week, and a training plan ordered by the SLA risk it removes",
		Long: `Assess reads the roster (analysts' skill levels and certifications, shifts),
the runbook registry (required_skills and required_certifications in each
runbook's front matter) and the staffing configuration's per-shift skill
requirements and runbook mapping (--config). It reports, program views
first: what each runbook and queue requires and who holds it; coverage per
shift and per hour of the week, with the runs that met a gap in the history
window and how many of their cases breached the resolve SLA; shift
boundaries that hand work to nobody qualified; a training plan ordered by
the exposure each item removes; and, last, each analyst's skills with the
context of their work (tier, queue mix, runbook mix) beside their speed.
--certification-tracking adds every certification's status and the
renewals that would otherwise open a gap.`,
		Example: `  watchfloor training assess --team-skills --certification-tracking --demo
  watchfloor training assess --team-skills --config docs/staffing-example.yaml -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !teamSkills {
				return errors.New("say what to assess: --team-skills (with --certification-tracking for certifications)")
			}
			opt := training.Options{Certifications: certs, HistoryDays: historyDays, ExpiryWarning: time.Duration(warn.d)}
			if config != "" {
				cfg, err := staffing.LoadConfig(config)
				if err != nil {
					return err
				}
				opt.Staffing = cfg
			}
			if at != "" {
				t, err := time.Parse(time.RFC3339, at)
				if err != nil {
					return fmt.Errorf("--at: %w", err)
				}
				opt.At = t
			}
			st, err := a.openRead(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			as, err := training.Assess(cmd.Context(), st, opt)
			if err != nil {
				return err
			}
			if a.format == "json" {
				return a.render(output.Table{JSON: as})
			}
			return a.renderAssessment(as, planItems)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&teamSkills, "team-skills", false, "assess the team's skills against what runbooks and queues need")
	f.BoolVar(&certs, "certification-tracking", false, "list every certification with its expiry, and plan renewals")
	f.StringVar(&config, "config", "", "YAML file with staffing settings (skills per shift, runbook skills); see docs/staffing.md")
	f.IntVar(&historyDays, "history-days", 0, "days of history for exposure and individual context (default 28)")
	f.Var(&warn, "expiry-warning", "flag certifications expiring within this time (default 2160h, 90 days)")
	f.StringVar(&at, "at", "", "assess as of this time (RFC 3339; default now)")
	f.IntVar(&planItems, "plan-items", 20, "training plan items to print (0: all; -o json has them all)")
	a.addDemoFlag(cmd)
	return cmd
}

func (a *app) renderAssessment(as *training.Assessment, planItems int) error {
	p := as.Program
	fmt.Fprintf(a.stdout, "Team development as of %s (%s); history %s … %s\n\n", as.AsOf.Format(time.RFC3339), as.TimeZone,
		as.HistoryFrom.Format(time.DateOnly), as.HistoryTo.AddDate(0, 0, -1).Format(time.DateOnly))
	prog := output.Table{Title: "Program", Columns: []string{"measure", "value"}, Rows: [][]string{
		{"active analysts", strconv.Itoa(p.Analysts)}, {"shifts", strconv.Itoa(p.Shifts)}, {"requirements (runbooks and queues)", strconv.Itoa(p.Requirements)},
		{"held at every hour of the week", strconv.Itoa(p.FullyCovered)}, {"uncovered requirement-hours a week", strconv.Itoa(p.UncoveredHours)},
		{"single points of failure (shift × requirement)", strconv.Itoa(p.SinglePoints)}, {"handovers to nobody qualified", strconv.Itoa(p.Handovers)},
		{"runs and cases a week meeting a gap", staffNum(p.ExposedPerWeek, 1)}, {"certifications expired", strconv.Itoa(p.CertsExpired)},
		{"certifications expiring", strconv.Itoa(p.CertsExpiring)}, {"training plan items", strconv.Itoa(p.PlanItems)}}}
	if err := a.render(prog); err != nil {
		return err
	}
	for _, n := range as.Notes {
		fmt.Fprintln(a.stdout, "Note: "+output.Terminal(n))
	}
	rt := output.Table{Title: "What runbooks and queues require", Columns: []string{"requirement", "kind", "skills", "certifications", "per shift",
		"holders", "per week", "from"}}
	for _, r := range as.Requirements {
		var sk []string
		for _, s := range r.Skills {
			sk = append(sk, fmt.Sprintf("%s ≥%d", s.Skill, s.Level))
		}
		kind := r.Kind
		if r.Type != "" {
			kind += " (" + r.Type + ")"
		}
		rt.Rows = append(rt.Rows, []string{r.Name, kind, strings.Join(sk, ", "), strings.Join(r.Certifications, ", "), strconv.Itoa(r.PerShift),
			strconv.Itoa(len(r.Holders)), staffNum(r.PerWeek, 1), r.Source})
	}
	fmt.Fprintln(a.stdout)
	if err := a.render(rt); err != nil {
		return err
	}
	if len(as.Shifts) > 0 && len(as.Requirements) > 0 {
		cols := []string{"requirement"}
		for _, s := range as.Shifts {
			cols = append(cols, s.Shift+" ("+s.Window+")")
		}
		mt := output.Table{Title: "Who on each shift can run each requirement", Columns: cols}
		for i, r := range as.Requirements {
			row := []string{r.Name}
			for _, s := range as.Shifts {
				c := s.Coverage[i]
				cell := strings.Join(c.Holders, ", ")
				if c.Status != training.CoverageOK {
					cell = strings.TrimSpace(cell + " [" + c.Status + "]")
				}
				row = append(row, cell)
			}
			mt.Rows = append(mt.Rows, row)
		}
		fmt.Fprintln(a.stdout)
		if err := a.render(mt); err != nil {
			return err
		}
	}
	if len(as.Gaps) > 0 {
		gt := output.Table{Title: "Hours of the week nobody on duty holds it (" + as.TimeZone + ")", Columns: []string{"requirement", "hours",
			"no shift on duty", "when", "met it per week", "breached"}}
		for _, g := range as.Gaps {
			gt.Rows = append(gt.Rows, []string{g.Requirement, strconv.Itoa(g.Hours), strconv.Itoa(g.Unstaffed), strings.Join(g.Windows, ", "),
				staffNum(g.ExposedPerWeek, 1), fmt.Sprintf("%d of %d", g.Breached, g.Exposed)})
		}
		fmt.Fprintln(a.stdout)
		if err := a.render(gt); err != nil {
			return err
		}
	}
	if len(as.Handovers) > 0 {
		ht := output.Table{Title: "Shift boundaries handing work to nobody qualified", Columns: []string{"at", "from", "to", "requirement", "outgoing holders"}}
		for _, h := range as.Handovers {
			ht.Rows = append(ht.Rows, []string{h.At, h.From, h.To, h.Requirement, strings.Join(h.Outgoing, ", ")})
		}
		fmt.Fprintln(a.stdout)
		if err := a.render(ht); err != nil {
			return err
		}
	}
	pt := output.Table{Title: "Training plan (most SLA exposure removed first; hours: of the week it covers, per week: runs or cases it protects)",
		Columns: []string{"#", "analyst", "tier", "shift", "for", "raise", "certify", "hours", "per week", "why"}}
	plan := as.Plan
	if planItems > 0 && len(plan) > planItems {
		plan = plan[:planItems]
	}
	for _, it := range plan {
		var raise []string
		for _, s := range it.Raise {
			raise = append(raise, fmt.Sprintf("%s %d→%d", s.Skill, s.From, s.To))
		}
		cert := strings.Join(it.Certify, ", ")
		if !it.Due.IsZero() {
			cert += " by " + it.Due.Format(time.DateOnly)
		}
		pt.Rows = append(pt.Rows, []string{strconv.Itoa(it.Rank), it.Analyst, it.Tier, it.Shift, it.Requirement, strings.Join(raise, ", "), cert,
			strconv.Itoa(it.ClosesHours), staffNum(it.RemovesPerWeek, 1), it.Reason})
	}
	fmt.Fprintln(a.stdout)
	if err := a.render(pt); err != nil {
		return err
	}
	if len(plan) < len(as.Plan) {
		fmt.Fprintf(a.stdout, "… and %d more items (--plan-items 0 or -o json lists them all).\n", len(as.Plan)-len(plan))
	}
	if as.Certifications != nil {
		ct := output.Table{Title: "Certifications", Columns: []string{"analyst", "certification", "status", "expires", "days left", "needed for"}}
		for _, c := range as.Certifications {
			days := ""
			if c.DaysLeft != nil {
				days = strconv.Itoa(*c.DaysLeft)
			}
			ct.Rows = append(ct.Rows, []string{c.Analyst, c.Name, c.Status, dateText(c.Expires, ""), days, strings.Join(c.NeededFor, ", ")})
		}
		fmt.Fprintln(a.stdout)
		if err := a.render(ct); err != nil {
			return err
		}
	}
	skills := map[string]bool{}
	for _, an := range as.Analysts {
		for s := range an.Skills {
			skills[s] = true
		}
	}
	names := make([]string, 0, len(skills))
	for s := range skills {
		names = append(names, s)
	}
	sort.Strings(names)
	it := output.Table{Title: "Analysts: skills (1–5) and context; speed only beside its context",
		Columns: append(append([]string{"analyst", "tier", "shift"}, names...), "can run", "resolved by priority", "runbook runs", "median resolve")}
	for _, an := range as.Analysts {
		row := []string{an.ID, an.Tier, an.Shift}
		for _, s := range names {
			row = append(row, levelText(an.Skills[s]))
		}
		speed := "—"
		if an.MedianResolveSeconds != nil {
			speed = fmt.Sprintf("%s (n=%d)", fmtDur(*an.MedianResolveSeconds), an.Resolved)
		}
		row = append(row, strconv.Itoa(len(an.CanRun)), output.Counts(an.QueueMix), output.Counts(an.RunbookMix), speed)
		it.Rows = append(it.Rows, row)
	}
	fmt.Fprintln(a.stdout)
	return a.render(it)
}

func levelText(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func (a *app) trainingCertificationsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "certifications",
		Short: "Certification records with their dates",
	}
	imp := &cobra.Command{
		Use:   "import FILE",
		Short: "Store analysts' certifications with issue and expiry dates from a CSV file",
		Long: `Import reads a CSV file with a header naming the columns analyst,
certification, issued, expires and (optionally) source; dates are
YYYY-MM-DD or RFC 3339, empty when not known (no expiry date: the
certification does not expire, or nobody recorded when). A record for the
same analyst and certification replaces the stored dates. Bad rows are
reported with their line and the rest are stored (exit status 2); "-"
reads standard input.`,
		Example: `  watchfloor training certifications import certs.csv`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var r io.Reader = a.stdin
			name := "stdin"
			if args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return err
				}
				defer f.Close()
				r, name = f, args[0]
			}
			certs, bad, err := readCertifications(r, name)
			if err != nil {
				return err
			}
			st, err := store.Open(cmd.Context(), a.db)
			if err != nil {
				return err
			}
			defer st.Close()
			n, err := st.SaveCertifications(cmd.Context(), certs)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%d certifications stored (%d new, %d updated)\n", len(certs), n, len(certs)-n)
			for _, b := range bad {
				fmt.Fprintln(a.stderr, output.Terminal(b))
			}
			if len(bad) > 0 {
				return &exitError{code: ExitRejects, err: fmt.Errorf("%d rows rejected (listed above)", len(bad))}
			}
			return nil
		},
	}
	cmd.AddCommand(imp)
	return cmd
}

func parseCertDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date (YYYY-MM-DD or RFC 3339)", s)
	}
	return t.UTC(), nil
}

// readCertifications reads certification rows; bad rows come back as
// "file:line: reason".
func readCertifications(r io.Reader, name string) ([]store.Certification, []string, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: reading the header: %w", name, err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	for _, need := range []string{"analyst", "certification"} {
		if _, ok := col[need]; !ok {
			return nil, nil, fmt.Errorf("%s:1: the header has no %q column (want analyst,certification,issued,expires[,source])", name, need)
		}
	}
	get := func(rec []string, k string) string {
		if i, ok := col[k]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var out []store.Certification
	var bad []string
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			bad = append(bad, fmt.Sprintf("%s:%d: %v", name, line, err))
			continue
		}
		c := store.Certification{Analyst: get(rec, "analyst"), Name: get(rec, "certification"), Source: get(rec, "source")}
		if c.Analyst == "" || c.Name == "" {
			bad = append(bad, fmt.Sprintf("%s:%d: analyst and certification are required", name, line))
			continue
		}
		if c.Issued, err = parseCertDate(get(rec, "issued")); err != nil {
			bad = append(bad, fmt.Sprintf("%s:%d: issued: %v", name, line, err))
			continue
		}
		if c.Expires, err = parseCertDate(get(rec, "expires")); err != nil {
			bad = append(bad, fmt.Sprintf("%s:%d: expires: %v", name, line, err))
			continue
		}
		if !c.Issued.IsZero() && !c.Expires.IsZero() && c.Expires.Before(c.Issued) {
			bad = append(bad, fmt.Sprintf("%s:%d: expires before it was issued", name, line))
			continue
		}
		out = append(out, c)
	}
	return out, bad, nil
}
