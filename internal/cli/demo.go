package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/watchfloor/watchfloor/internal/attack"
	"github.com/watchfloor/watchfloor/internal/demo"
	"github.com/watchfloor/watchfloor/internal/demo/incident"
	"github.com/watchfloor/watchfloor/internal/ingest"
	"github.com/watchfloor/watchfloor/internal/ingest/native"
	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/intel"
	"github.com/watchfloor/watchfloor/internal/output"
	"github.com/watchfloor/watchfloor/internal/runbook"
	"github.com/watchfloor/watchfloor/internal/store"
	"github.com/watchfloor/watchfloor/internal/tech"
)

// demoConfig completes a demo configuration with the catalog's techniques
// and, when no end is given, the current hour.
func demoConfig(cfg demo.Config) (demo.Config, error) {
	if cfg.End.IsZero() {
		cfg.End = time.Now().UTC().Truncate(time.Hour)
	}
	cat, err := attack.Load()
	if err != nil {
		return cfg, fmt.Errorf("loading the ATT&CK catalog: %w", err)
	}
	for _, t := range cat.Techniques() {
		cfg.Techniques = append(cfg.Techniques, t.ID)
	}
	return cfg.WithDefaults(), nil
}

func (a *app) runDemo(ctx context.Context, st *store.Store, cfg demo.Config) (ingest.Summary, error) {
	cfg, err := demoConfig(cfg)
	if err != nil {
		return ingest.Summary{}, err
	}
	a.log.Info("generating demo SOC", "days", cfg.Days, "alerts_per_day", cfg.AlertsPerDay,
		"analysts", cfg.Analysts, "seed", cfg.Seed, "end", cfg.End.Format(time.RFC3339))
	sum, err := ingest.RunFormat(ctx, st, demo.Format(cfg), nil, "demo", ingest.Options{BatchSize: 10000, Matcher: &intel.Matcher{Store: st, Log: a.log}})
	if err != nil {
		return sum, err
	}
	inc, err := incident.Declare(ctx, st, cfg.End)
	if err != nil {
		return sum, fmt.Errorf("declaring the demo's major incident: %w", err)
	}
	if inc != nil {
		a.log.Info("demo major incident declared", "incident", inc.Ref, "title", inc.Title, "log_entries", inc.LastSeq)
	}
	if err := demoOrg(ctx, st); err != nil {
		return sum, err
	}
	if err := demoInventory(ctx, st, cfg.End); err != nil {
		return sum, err
	}
	return sum, demoRunbooks(ctx, st, cfg)
}

// demoOrg sets the demo organisation's profile when none is set, so threat
// profiles are ranked for it.
func demoOrg(ctx context.Context, st *store.Store) error {
	svc := &intel.Service{Store: st}
	org, err := svc.OrgProfile(ctx)
	if err != nil || !org.Empty() {
		return err
	}
	_, err = svc.SetOrgProfile(ctx, intel.OrgProfile{Sectors: demo.OrgSectors, Regions: demo.OrgRegions, Platforms: demo.OrgPlatforms})
	return err
}

// demoInventory stores the demo's tool inventory (contracts dated from
// end) when no inventory is stored.
func demoInventory(ctx context.Context, st *store.Store, end time.Time) error {
	inv, err := tech.LoadInventory(ctx, st)
	if err != nil || len(inv.Platforms) > 0 {
		return err
	}
	return tech.SaveInventory(ctx, st, demoPlatforms(end))
}

// demoRunbooks syncs the demo's runbooks (their first edition at the start
// of the simulation, the revision later, as the simulation records them)
// unless the store has them, and dates the demo analysts' certifications.
func demoRunbooks(ctx context.Context, st *store.Store, cfg demo.Config) error {
	entries, err := st.RunbookEntries(ctx)
	if err != nil {
		return err
	}
	synced := false
	for _, e := range entries {
		synced = synced || e.Source == demo.RunbookSource
	}
	if !synced {
		for _, s := range demo.Runbooks(cfg) {
			if _, err := runbook.Sync(ctx, st, s.FS, "", demo.RunbookSource, s.At); err != nil {
				return fmt.Errorf("syncing the demo runbooks: %w", err)
			}
		}
	}
	analysts, err := st.Analysts(ctx)
	if err != nil {
		return err
	}
	var certs []store.Certification
	for _, c := range demo.Certifications(cfg, analysts) {
		certs = append(certs, store.Certification{Analyst: c.Analyst, Name: c.Name, Issued: c.Issued, Expires: c.Expires, Source: demo.Source})
	}
	_, err = st.SaveCertifications(ctx, certs)
	return err
}

// ensureDemo fills an empty store with the default demo SOC, simulated up
// to now as `serve --demo` keeps it running, and brings a store it filled
// earlier up to now; a store with other data is left alone.
func (a *app) ensureDemo(ctx context.Context, st *store.Store) error {
	cfg, err := demoConfig(demo.Config{})
	if err != nil {
		return err
	}
	start := time.Now()
	l := &demo.Live{Config: cfg, Store: st, Log: a.log, Until: time.Now().UTC(), Matcher: &intel.Matcher{Store: st, Log: a.log}}
	if err := l.Run(ctx, nil); errors.Is(err, demo.ErrNotLive) {
		return nil
	} else if err != nil {
		return fmt.Errorf("filling the store with the demo SOC: %w", err)
	}
	sim, err := l.SimConfig(ctx)
	if err != nil {
		return err
	}
	if err := demoRunbooks(ctx, st, sim); err != nil {
		return err
	}
	if err := demoOrg(ctx, st); err != nil {
		return err
	}
	if err := demoInventory(ctx, st, time.Now()); err != nil {
		return err
	}
	a.log.Info("demo SOC stored up to now", "elapsed", time.Since(start).Round(time.Millisecond))
	return nil
}

func (a *app) demoCommand() *cobra.Command {
	var cfg demo.Config
	var end, ndjson, silence string
	var silenceFor time.Duration
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Store a simulated mid-size 24x7 SOC (deterministic for a seed)",
		Long: `Demo runs a seeded simulation of a SOC and stores it: alerts arriving with
daily and weekly seasonality, rules with their own false-positive rates, a
queue worked by analysts on three shifts, escalations, reopened cases, SLA
pauses and a few major incidents, and a small, clearly synthetic threat-
intelligence feed (indicators on the simulated traffic, synthetic adversaries)
matched as the alerts land. The same seed and end give the same data, and
running it twice stores nothing new. When no organisation profile is set,
the demo's (finance; Germany, France; Windows, Linux, cloud) is.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if end != "" {
				t, err := time.Parse(time.RFC3339, end)
				if err != nil {
					return fmt.Errorf("--end: %w", err)
				}
				cfg.End = t.UTC()
			}
			if silence != "" {
				if cfg.End.IsZero() {
					cfg.End = time.Now().UTC().Truncate(time.Hour)
				}
				m, err := demo.ParseMute(silence, cfg.End.Add(-silenceFor))
				if err != nil {
					return fmt.Errorf("--silence: %w", err)
				}
				cfg.Mute = m
			}
			if ndjson != "" {
				return a.writeDemo(cmd.Context(), cfg, ndjson)
			}
			st, err := store.Open(cmd.Context(), a.db)
			if err != nil {
				return err
			}
			defer st.Close()
			sum, err := a.runDemo(cmd.Context(), st, cfg)
			if err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, output.Terminal(sum.String()))
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&cfg.Days, "days", demo.DefaultDays, "days to simulate, ending at --end")
	f.IntVar(&cfg.AlertsPerDay, "alerts-per-day", demo.DefaultAlertsPerDay, "mean alerts per day")
	f.IntVar(&cfg.Analysts, "analysts", demo.DefaultAnalysts, "analysts on the roster")
	f.Int64Var(&cfg.Seed, "seed", demo.DefaultSeed, "simulation seed")
	f.StringVar(&end, "end", "", "end of the simulated period, RFC 3339 (default: the current hour)")
	f.StringVar(&silence, "silence", "", `drop the alerts of a source ("demo") or of one of its rules ("demo/R-004") for the last --silence-for, as if its connector had stopped (watchfloor tech health shows it silent)`)
	f.DurationVar(&silenceFor, "silence-for", 3*time.Hour, "how long before --end the --silence began")
	f.StringVar(&ndjson, "ndjson", "", `write the simulation to this file ("-" for standard output) as native NDJSON instead of storing it`)
	return cmd
}

// writeDemo writes the simulation as native NDJSON, for files to ingest
// elsewhere and for the ingest benchmarks.
func (a *app) writeDemo(ctx context.Context, cfg demo.Config, path string) error {
	cfg, err := demoConfig(cfg)
	if err != nil {
		return err
	}
	var w io.Writer = a.stdout
	if path != "-" {
		f, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("creating %s: %w", path, err)
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	nw := native.NewWriter(bw)
	n := 0
	write := func(r record.Record) error {
		n++
		return nw.Write(r)
	}
	if err := demo.GenerateIntel(ctx, cfg, write); err != nil {
		return err
	}
	if err := demo.GeneratePosture(ctx, cfg, write); err != nil {
		return err
	}
	if err := demo.Generate(ctx, cfg, write); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	a.log.Info("demo SOC written", "records", n, "file", path)
	return nil
}

// demoPlatforms is the demo SOC's tool inventory, its contracts dated from end
// (the end of the simulated period) so that two renewals fall due within
// 90 days. The SIEM is the platform the demo's alerts come from.
func demoPlatforms(end time.Time) tech.Inventory {
	day := func(days int) tech.Date {
		d := end.UTC().AddDate(0, 0, days)
		return tech.Date{Time: time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)}
	}
	return tech.Inventory{Platforms: []tech.Platform{
		{Name: "SIEM", Category: "siem", Vendor: "Example Analytics", Product: "Example SIEM", Version: "9.2", Owner: "SOC engineering",
			Licence: "GB/day", Cost: &tech.Cost{Pricing: "per_gb_day", Price: 1100, Period: "year", Quantity: 150},
			ContractStart: day(-320), Renewal: day(45), NoticeDays: 60, Sources: []string{demo.Source}},
		{Name: "EDR", Category: "edr", Vendor: "Example Endpoint", Version: "7.14", Owner: "IT security operations",
			Licence: "endpoints", Cost: &tech.Cost{Pricing: "per_endpoint", Price: 4.5, Quantity: 6500},
			ContractStart: day(-165), Renewal: day(200), NoticeDays: 90},
		{Name: "SOAR", Category: "soar", Vendor: "Example Automation", Version: "6.1", Owner: "SOC engineering",
			Licence: "seats", Cost: &tech.Cost{Pricing: "per_seat", Price: 150},
			ContractStart: day(-30), Renewal: day(335), NoticeDays: 30},
		{Name: "Threat intelligence platform", Category: "ti", Vendor: "Example Intel", Owner: "CTI lead",
			Licence: "flat", Cost: &tech.Cost{Pricing: "flat", Price: 60000, Period: "year"},
			ContractStart: day(-290), Renewal: day(75), NoticeDays: 30},
	}}
}
