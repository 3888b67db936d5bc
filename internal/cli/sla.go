package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/output"
)

func (a *app) slaCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "sla", Short: "SLA policy versions: list them, show one, disable one",
		Long: `SLA policies are versioned: each version takes effect at its effective_from
and judges the clocks that stop (or still run) after it, until a later
version takes effect; versions of every name form one timeline. Versions
are never edited. A version ingested by mistake is disabled instead: it
stays stored for the record, judges nothing, and every clock it judged is
judged again by the versions left. Disabling is written to the audit log.`}
	cmd.AddCommand(a.slaListCommand(), a.slaShowCommand(), a.slaDisableCommand())
	return cmd
}

// fmtTarget prints a target, "—" for none.
func fmtTarget(d time.Duration) string {
	if d <= 0 {
		return noData
	}
	return fmtDur(d.Seconds())
}

func (a *app) slaListCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List every stored SLA policy version and what it judges now",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			vs, err := a.policyVersions(cmd.Context())
			if err != nil {
				return err
			}
			if a.format == "json" {
				return a.render(output.Table{JSON: nonNilSlice(vs)})
			}
			cols := []string{"name", "version", "effective from", "state"}
			for p := model.P1; p <= model.P5; p++ {
				cols = append(cols, p.String()+" ack", p.String()+" resolve")
			}
			t := output.Table{Name: "policies", Title: "SLA policy versions", Columns: append(cols, "problem")}
			for _, v := range vs {
				row := []string{v.Name, strconv.Itoa(v.Version), fmtTime(v.EffectiveFrom), v.State}
				for p := model.P1; p <= model.P5; p++ {
					tg := v.Targets[p]
					row = append(row, fmtTarget(tg.Acknowledge), fmtTarget(tg.Resolve))
				}
				t.Rows = append(t.Rows, append(row, v.Problem))
			}
			if len(vs) == 0 {
				a.printf("No SLA policy is stored: Watchfloor's SLA adherence is not measured. Ingest an sla_policy record to set one.\n")
				return nil
			}
			return a.render(t)
		},
	}
}

// policyVersions reads every stored SLA policy version and its state.
func (a *app) policyVersions(ctx context.Context) ([]metrics.PolicyVersion, error) {
	st, err := a.openRead(ctx)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	return metrics.NewService(st, nil).SLAPolicies(ctx)
}

func nonNilSlice[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

// policyArgs reads NAME VERSION.
func policyArgs(args []string) (string, int, error) {
	v, err := strconv.Atoi(strings.TrimPrefix(args[1], "v"))
	if err != nil || v <= 0 {
		return "", 0, fmt.Errorf("version %q: want a positive number", args[1])
	}
	return args[0], v, nil
}

func (a *app) slaShowCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "show NAME VERSION",
		Short: "Show one SLA policy version: targets, pause statuses, calendar, state",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, version, err := policyArgs(args)
			if err != nil {
				return err
			}
			vs, err := a.policyVersions(cmd.Context())
			if err != nil {
				return err
			}
			for _, v := range vs {
				if v.Name != name || v.Version != version {
					continue
				}
				if a.format == "json" {
					return a.render(output.Table{JSON: v})
				}
				head := output.Table{Name: "policy", Title: fmt.Sprintf("SLA policy %s v%d", v.Name, v.Version), Columns: []string{"field", "value"},
					Rows: [][]string{{"state", v.State}, {"effective from", fmtTime(v.EffectiveFrom)},
						{"pause statuses", strings.Join(v.PauseStatuses, ", ")}, {"calendar", calendarText(v.Calendar)},
						{"disabled at", fmtTime(v.DisabledAt)}, {"disabled by", v.DisabledBy}, {"disabled because", v.DisabledReason},
						{"problem", v.Problem}}}
				if err := a.render(head); err != nil {
					return err
				}
				a.println()
				t := output.Table{Name: "targets", Title: "Targets", Columns: []string{"priority", "acknowledge", "resolve"}}
				for p := model.P1; p <= model.P5; p++ {
					if tg, ok := v.Targets[p]; ok {
						t.Rows = append(t.Rows, []string{p.String(), fmtTarget(tg.Acknowledge), fmtTarget(tg.Resolve)})
					}
				}
				return a.render(t)
			}
			return fmt.Errorf("no SLA policy %q version %d (see watchfloor sla list)", name, version)
		},
	}
}

// calendarText describes business hours ("24×7" without).
func calendarText(bh *model.BusinessHours) string {
	if bh == nil {
		return "24×7"
	}
	var days []string
	for _, d := range bh.Days {
		days = append(days, d.String()[:3])
	}
	s := fmt.Sprintf("%s %s–%s %s", strings.Join(days, " "), bh.Start, bh.End, bh.TimeZone)
	if len(bh.Holidays) > 0 {
		s += ", holidays " + strings.Join(bh.Holidays, " ")
	}
	return s
}

func (a *app) slaDisableCommand() *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "disable NAME VERSION",
		Short: "Disable an SLA policy version: kept for the record, judging nothing (audited)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, version, err := policyArgs(args)
			if err != nil {
				return err
			}
			if strings.TrimSpace(reason) == "" {
				return errors.New("say why with --reason (it goes into the audit log)")
			}
			ctx := cmd.Context()
			st, err := a.openRead(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			target := fmt.Sprintf("sla_policy:%s/v%d", name, version)
			svc := &auth.Service{Store: st}
			if err := st.DisableSLAPolicy(ctx, name, version, cliActor(), reason); err != nil {
				a.auditCLI(ctx, svc, "sla disable (refused)", target, err.Error())
				return err
			}
			a.auditCLI(ctx, svc, "sla disable", target, "reason="+reason)
			if _, err := st.RefreshFacts(ctx); err != nil {
				return fmt.Errorf("judging the SLA clocks again: %w", err)
			}
			fmt.Fprintf(a.stdout, "SLA policy %s v%d disabled; its clocks are judged again by the versions left\n", output.Terminal(name), version)
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why the version is disabled (required; audited)")
	return cmd
}
