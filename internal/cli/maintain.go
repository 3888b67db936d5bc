package cli

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/maintain"
	"github.com/watchfloor/watchfloor/internal/output"
	"github.com/watchfloor/watchfloor/internal/store"
)

func (a *app) backupCommand() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "backup --out FILE",
		Short: "Write a consistent, verified copy of a SQLite store while serve and ingest keep running",
		Long: `Copy the SQLite store to FILE with VACUUM INTO: one read transaction, so
serve and ingest keep writing while it runs and the copy is the store as of
its start. The copy passes SQLite's integrity check before the command
reports success; FILE is never overwritten. The backup is recorded in the
store's audit log.

PostgreSQL stores are backed up with pg_dump (see the README's "Running in
production"); check a restored database with watchfloor doctor.`,
		Example: `  watchfloor backup --out /var/backups/watchfloor/$(date -u +%Y%m%dT%H%M%SZ).db`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if out == "" {
				return errors.New("--out FILE is required")
			}
			if store.IsPostgres(a.db) {
				return store.ErrBackupEngine
			}
			st, err := a.openRead(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			info, err := st.Backup(ctx, out)
			if err != nil {
				return err
			}
			a.auditCLI(ctx, &auth.Service{Store: st}, "backup", out, backupDetail(info))
			return a.renderBackup("Backup written and verified", info)
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "the backup file to write (must not exist)")
	return cmd
}

func backupDetail(info store.BackupInfo) string {
	return fmt.Sprintf("schema %04d, %d bytes, %d alerts, %d cases, %d case events, %d users; integrity check ok",
		info.SchemaVersion, info.Bytes, info.Counts["alerts"], info.Counts["cases"], info.Counts["case_events"], info.Users)
}

// renderBackup prints a backup's file, schema version and row counts.
func (a *app) renderBackup(title string, info store.BackupInfo) error {
	if a.format == "json" {
		return a.render(output.Table{JSON: info})
	}
	t := output.Table{Name: "backup", Title: title + ": " + info.Path, Columns: []string{"what", "value"}}
	t.Rows = append(t.Rows, []string{"schema version", fmt.Sprintf("%04d", info.SchemaVersion)},
		[]string{"bytes", strconv.FormatInt(info.Bytes, 10)}, []string{"integrity check", "ok"})
	if info.Took > 0 {
		t.Rows = append(t.Rows, []string{"took", info.Took.Round(time.Millisecond).String()})
	}
	for _, name := range store.Tables {
		if n, ok := info.Counts[name]; ok {
			t.Rows = append(t.Rows, []string{name, strconv.FormatInt(n, 10)})
		}
	}
	t.Rows = append(t.Rows, []string{"users", strconv.FormatInt(info.Users, 10)})
	return a.render(t)
}

func (a *app) restoreCommand() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "restore FILE",
		Short: "Replace the SQLite store named by --db with a backup file",
		Long: `Restore a backup made by watchfloor backup (or a scheduled backup of serve)
into the SQLite store named by --db. The backup is verified first: a file
that fails SQLite's integrity check or is not a Watchfloor store is refused
before anything is touched. A store that already holds data or accounts is
refused unless --force is given. Stop serve before restoring over its store.
A backup made by an older release is upgraded by the restore (its
migrations run), and the restore is recorded in the restored store's audit
log.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if store.IsPostgres(a.db) {
				return store.ErrBackupEngine
			}
			info, err := store.Restore(ctx, args[0], a.db, force)
			if err != nil {
				return err
			}
			st, err := store.Open(ctx, a.db) // applies the migrations an older backup lacks
			if err != nil {
				return fmt.Errorf("opening the restored store: %w", err)
			}
			defer st.Close()
			v, err := st.SchemaVersion(ctx)
			if err != nil {
				return err
			}
			detail := backupDetail(info)
			if v != info.SchemaVersion {
				detail += fmt.Sprintf("; upgraded to schema %04d", v)
			}
			if force {
				detail += "; --force"
			}
			a.auditCLI(ctx, &auth.Service{Store: st}, "restore", args[0], detail)
			if v != info.SchemaVersion {
				a.printf("upgraded from schema %04d to %04d\n", info.SchemaVersion, v)
			}
			return a.renderBackup("Restored into "+store.Redact(a.db)+" from", info)
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "replace a store that already holds data")
	return cmd
}

func (a *app) doctorCommand() *cobra.Command {
	var sample int
	var configPath string
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check a store: integrity, migrations, counts, clocks; exit 1 on a problem",
		Long: `Check the store named by --db without changing it: SQLite's integrity and
foreign key checks, the migrations applied against this build's (pending
ones are applied by the next command that writes; unknown ones mean a newer
release wrote the store), row counts, records dated ahead of this machine's
clock and, on PostgreSQL, the skew between the database's clock and this
machine's; then it recomputes the newest --sample-days days' aggregates
(KPIs by every grouping, rule quality) and the staffing model's kept history
of those days (handle-time hours, case arrival counts) from the raw rows and
compares them with the stored ones. With --config (or WATCHFLOOR_CONFIG) it checks serve's
configuration file too, as config check does. It exits with status 1 when a
check fails, so it can gate a restore or an upgrade.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			d, err := a.diagnose(ctx, sample)
			if err != nil {
				return err
			}
			if configPath == "" {
				configPath = os.Getenv(ConfigEnv)
			}
			if configPath != "" {
				switch n, errs := checkConfig(configPath); {
				case len(errs) > 0:
					var msgs []string
					for _, e := range errs {
						msgs = append(msgs, e.Error())
					}
					d.Add("configuration", store.CheckFail, strings.Join(msgs, "; "))
				default:
					d.Add("configuration", store.CheckOK, fmt.Sprintf("%s: %d settings, all valid", configPath, n))
				}
			}
			if err := a.renderDiagnosis(d); err != nil {
				return err
			}
			if !d.OK() {
				return &exitError{code: ExitError, err: errors.New("the store has problems (the failed checks above)")}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "also check serve's configuration file (env "+ConfigEnv+")")
	cmd.Flags().IntVar(&sample, "sample-days", 7, "compare the stored aggregates of this many of the newest days with their raw rows (0: skip)")
	return cmd
}

// diagnose inspects the store named by --db without migrating it or
// writing to it, and compares the newest sample days' stored aggregates
// with their raw rows.
func (a *app) diagnose(ctx context.Context, sample int) (*store.Diagnosis, error) {
	st, err := store.OpenInspect(ctx, a.db)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	d, err := st.Diagnose(ctx, time.Now())
	if err != nil || !d.OK() {
		return d, err
	}
	if sample > 0 {
		maintain.AddRollupCheck(ctx, st, d, sample)
	}
	return d, nil
}

func (a *app) renderDiagnosis(d *store.Diagnosis) error {
	if a.format == "json" {
		return a.render(output.Table{JSON: d})
	}
	t := output.Table{Name: "checks", Title: "Store " + d.Engine.Describe(store.Redact(a.db)), Columns: []string{"check", "state", "detail"}}
	for _, c := range d.Checks {
		t.Rows = append(t.Rows, []string{c.Name, c.State, c.Detail})
	}
	if err := a.render(t); err != nil {
		return err
	}
	if len(d.Counts) == 0 {
		return nil
	}
	a.println()
	counts := output.Table{Name: "counts", Title: "Rows", Columns: []string{"table", "rows"}}
	for _, name := range store.Tables {
		if n, ok := d.Counts[name]; ok {
			counts.Rows = append(counts.Rows, []string{name, strconv.FormatInt(n, 10)})
		}
	}
	return a.render(counts)
}

// retentionFlags are the retention settings of retention apply and serve.
type retentionFlags struct{ raw, alerts, caseLogs string }

func (r *retentionFlags) add(f *pflag.FlagSet, prefix string) {
	f.StringVar(&r.raw, prefix+"raw-payloads", "", "keep the raw source record of alerts, cases and findings this long (90d, 2160h; empty or 0 keeps everything)")
	f.StringVar(&r.alerts, prefix+"alerts", "", "keep alerts that belong to no case and matched no indicator this long (at least 90d; their daily aggregates stay; empty or 0 keeps everything)")
	f.StringVar(&r.caseLogs, prefix+"case-logs", "", "keep the log (events and comments) of a closed case this long after it closed (at least 90d; the case, its KPIs and runbook runs stay; empty or 0 keeps everything)")
}

func (r *retentionFlags) policy() (maintain.Policy, error) {
	var p maintain.Policy
	var err error
	if p.RawPayloads, err = maintain.ParseDays(r.raw); err != nil {
		return p, fmt.Errorf("raw payload retention: %w", err)
	}
	if p.Alerts, err = maintain.ParseDays(r.alerts); err != nil {
		return p, fmt.Errorf("alert retention: %w", err)
	}
	if p.CaseLogs, err = maintain.ParseDays(r.caseLogs); err != nil {
		return p, fmt.Errorf("case log retention: %w", err)
	}
	return p, p.Validate()
}

func (a *app) retentionCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "retention", Short: "Remove data older than the retention settings, keeping every report's answer"}
	var flags retentionFlags
	var dry bool
	apply := &cobra.Command{
		Use:   "apply [--dry-run] [--raw-payloads 90d] [--alerts 400d] [--case-logs 730d]",
		Short: "Apply the retention settings once (serve applies them daily)",
		Long: `Apply the retention settings to the store once. Defaults keep everything.

--raw-payloads clears the raw source record (the JSON or CSV row as received)
of alerts, cases and findings older than the period; every field Watchfloor
models from it stays, so KPIs, reports and re-ingest are unchanged.

--alerts removes alerts older than the period (counted from the start of the
organisation's day) that belong to no case and matched no threat-intelligence
indicator. The alert rollups kept at ingest still count them, so alert
volumes, false-positive rates, rule quality and ATT&CK coverage over the
removed days answer exactly as before. At least 90 days: retro-hunts and the
staffing model read alerts.

--case-logs removes the log (status, stage, assignment and other changes,
and comments) of cases resolved or closed before the start of the
organisation's day that long ago, with no event since. Open cases, and
cases in a major incident still open, are never touched; runbook
executions stay (runbook usage counts them). The case record, its KPI facts
and the daily aggregates stay, and so does what reports read from a log
(its first priority, its handle time), so every KPI, trend and staffing
history over those days answers as before. The case's detail then says
when its log was pruned and under which policy. If such a case changes
later (or the SLA policies do), its KPIs cannot be recomputed: they stay as
they were, and every report over its day says so. At least 90 days.

--dry-run counts what would change and changes nothing. A real run is
recorded in the audit log with what it changed. SQLite reuses the freed pages;
to shrink the file, restore a backup (watchfloor backup compacts).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			p, err := flags.policy()
			if err != nil {
				return err
			}
			if p.Empty() {
				return errors.New("no retention set: give --raw-payloads, --alerts and/or --case-logs (the default keeps everything)")
			}
			st, err := a.openRead(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			host, _ := os.Hostname()
			r := &maintain.Retention{Store: st, Policy: p, Log: a.log,
				Audit: &auth.Service{Store: st}, Actor: cliActor(), Role: "local", Remote: "local:" + host}
			rep, err := r.Apply(ctx, dry)
			if err != nil {
				return err
			}
			return a.renderRetention(rep)
		},
	}
	flags.add(apply.Flags(), "")
	apply.Flags().BoolVar(&dry, "dry-run", false, "count what would change, change nothing")
	cmd.AddCommand(apply)
	return cmd
}

func (a *app) renderRetention(rep maintain.RetentionReport) error {
	if a.format == "json" {
		return a.render(output.Table{JSON: rep})
	}
	title := "Retention applied"
	if rep.DryRun {
		title = "Retention dry run (nothing changed)"
	}
	t := output.Table{Name: "retention", Title: title, Columns: []string{"what", "before", "rows", "bytes"}}
	if r := rep.Raw; r != nil {
		b := r.Before.Format(time.RFC3339)
		t.Rows = append(t.Rows,
			[]string{"raw payloads of alerts", b, strconv.FormatInt(r.Alerts.Rows, 10), strconv.FormatInt(r.Alerts.Bytes, 10)},
			[]string{"raw payloads of cases", b, strconv.FormatInt(r.Cases.Rows, 10), strconv.FormatInt(r.Cases.Bytes, 10)},
			[]string{"raw payloads of findings", b, strconv.FormatInt(r.Findings.Rows, 10), strconv.FormatInt(r.Findings.Bytes, 10)})
	}
	if al := rep.Alerts; al != nil {
		b := al.Before.Format(time.RFC3339)
		t.Rows = append(t.Rows,
			[]string{"alerts removed", b, strconv.FormatInt(al.Alerts, 10), ""},
			[]string{"alert change events removed", b, strconv.FormatInt(al.AlertEvents, 10), ""},
			[]string{"alerts kept (of cases or matched)", b, strconv.FormatInt(al.Kept, 10), ""})
	}
	if c := rep.CaseLogs; c != nil {
		b := c.Before.Format(time.RFC3339)
		t.Rows = append(t.Rows,
			[]string{"cases whose log is removed (closed before)", b, strconv.FormatInt(c.Cases, 10), ""},
			[]string{"case events removed", b, strconv.FormatInt(c.Events, 10), ""},
			[]string{"  of them comments", b, strconv.FormatInt(c.Comments, 10), ""},
			[]string{"runbook executions kept", b, strconv.FormatInt(c.RunbookEvents, 10), ""},
			[]string{"cases kept whole (in open major incidents)", b, strconv.FormatInt(c.InIncidents, 10), ""})
	}
	return a.render(t)
}

func (a *app) eraseCommand() *cobra.Command {
	var value, typ string
	var dry bool
	cmd := &cobra.Command{
		Use:   "erase --entity VALUE [--type email|user|host|ip] [--dry-run]",
		Short: "Redact a person's e-mail address, user name, host or IP address everywhere in the store",
		Long: `Honour an erasure request: replace VALUE, wherever the store holds it, with a
token such as "[erased user 3fa1c2d0]" — alert titles, descriptions, entities
and raw payloads, cases and their log (comments, assignees, actors),
analysts, accounts, the audit log and every other text column. Matching
ignores case, finds the value also as it is escaped inside JSON, and never
matches inside a longer word or address (10.0.0.1 leaves 10.0.0.10 alone).

Records are kept and the same token replaces the value everywhere, so every
KPI keeps its count and an analyst's figures stay one analyst's, under the
token. The daily aggregates that held the value are rebuilt from the
redacted rows. Then the store is compacted (SQLite: VACUUM and a truncated
write-ahead log, so no freed page keeps a copy; PostgreSQL: VACUUM of the
changed tables). Stop serve first on SQLite, or run erase again once it is
stopped if the report says the log could not be truncated.

The audit log records the erasure, its type, the token and what changed —
never the value. Backups made before keep it: rotate them out. Re-ingesting
the original source data brings it back: erase it at the source too.
--entity - reads the value from standard input (kept out of shell history).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if value == "-" {
				line, err := bufio.NewReader(a.stdin).ReadString('\n')
				if err != nil && line == "" {
					return fmt.Errorf("reading the value from standard input: %w", err)
				}
				value = strings.TrimRight(line, "\r\n")
			}
			if typ == "" {
				typ = inferErasureType(value)
			}
			if err := store.ValidateErasure(value, typ); err != nil {
				return fmt.Errorf("--entity/--type: %w", err)
			}
			st, err := a.openRead(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			b := make([]byte, 4)
			rand.Read(b)
			token := fmt.Sprintf("[erased %s %x]", typ, b)
			rep, err := st.Erase(ctx, store.Erasure{Value: value, Type: typ, Token: token, DryRun: dry})
			if err != nil {
				return err
			}
			if !dry {
				var cols []string
				for _, c := range rep.Columns {
					cols = append(cols, fmt.Sprintf("%s.%s %d", c.Table, c.Column, c.Rows))
				}
				detail := fmt.Sprintf("replaced a %s with %s in %d rows (%s); %d daily aggregates rebuilt; compacted %v",
					typ, token, rep.Rows, strings.Join(cols, ", "), rep.Rebuilt, rep.Compacted)
				a.auditCLI(ctx, &auth.Service{Store: st}, "erase", "entity type "+typ, detail)
			}
			return a.renderErasure(rep)
		},
	}
	f := cmd.Flags()
	f.StringVar(&value, "entity", "", "the value to erase (- reads it from standard input)")
	f.StringVar(&typ, "type", "", "what the value is: "+strings.Join(store.ErasureTypes, ", ")+" (default: email with an @, ip when it parses as one, else user)")
	f.BoolVar(&dry, "dry-run", false, "count what would change, change nothing")
	cmd.MarkFlagRequired("entity")
	return cmd
}

// inferErasureType names the type of a value given without --type.
func inferErasureType(v string) string {
	if strings.Contains(v, "@") {
		return "email"
	}
	if _, err := netip.ParseAddr(v); err == nil {
		return "ip"
	}
	return "user"
}

func (a *app) renderErasure(rep *store.ErasureReport) error {
	if a.format == "json" {
		return a.render(output.Table{JSON: rep})
	}
	title := fmt.Sprintf("Erased: %d rows now read %s", rep.Rows, rep.Token)
	if rep.DryRun {
		title = fmt.Sprintf("Erasure dry run (nothing changed): %d rows hold the value", rep.Rows)
	}
	t := output.Table{Name: "erasure", Title: title, Columns: []string{"table", "column", "rows"}}
	for _, c := range rep.Columns {
		t.Rows = append(t.Rows, []string{c.Table, c.Column, strconv.FormatInt(c.Rows, 10)})
	}
	if err := a.render(t); err != nil {
		return err
	}
	if !rep.DryRun && rep.Rows > 0 {
		a.printf("\n%d daily aggregates rebuilt from the redacted rows; store compacted: %v\n", rep.Rebuilt, rep.Compacted)
	}
	for _, w := range rep.Warnings {
		a.printf("warning: %s\n", a.esc(w))
	}
	return nil
}
