package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/watchfloor/watchfloor/internal/intel"
	"github.com/watchfloor/watchfloor/internal/intel/observable"
	"github.com/watchfloor/watchfloor/internal/output"
	"github.com/watchfloor/watchfloor/internal/store"
)

// Environment variables holding feed secrets for one-off pulls.
const (
	envIntelPassword = "WATCHFLOOR_INTEL_PASSWORD"
	envIntelToken    = "WATCHFLOOR_INTEL_TOKEN"
)

func (a *app) intelCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "intel",
		Short: "Threat intelligence: pull feeds, list IoC matches, indicators and threat profiles",
		Long: `Watchfloor keeps indicators of compromise from threat-intelligence feeds (STIX 2.x
bundles, TAXII 2.1 collections, MISP feeds, CSV lists) and matches them against
the alerts' entities: as alerts are ingested, and by a retro-hunt over the last
90 days when new indicators arrive. Threat profiles (ATT&CK groups, campaigns
and malware merged with what feeds say) are ranked by relevance to the
organisation profile set with "watchfloor settings org".`,
	}
	cmd.AddCommand(a.intelPullCommand(), a.intelMatchesCommand(), a.intelProfilesCommand(), a.intelProfileCommand(),
		a.intelIndicatorsCommand(), a.intelHuntCommand(), a.intelFeedsCommand())
	return cmd
}

// puller returns a puller that reports rejects on standard error.
func (a *app) puller(st *store.Store, huntDays int) *intel.Puller {
	return &intel.Puller{Store: st, Log: a.log, HuntDays: huntDays, OnReject: func(loc string, err error) {
		fmt.Fprintf(a.stderr, "rejected %s: %s\n", output.Terminal(loc), output.Terminal(err.Error()))
	}}
}

func (a *app) intelPullCommand() *cobra.Command {
	var taxiiURL, collection, mispFeed, stixLoc, csvLoc, feed, source, user string
	var huntDays int
	cmd := &cobra.Command{
		Use:   "pull",
		Short: "Pull a feed now: --taxii URL --collection ID | --misp-feed DIR-OR-URL | --stix FILE-OR-URL | --csv FILE-OR-URL | --feed NAME",
		Long: `Pull stores a feed's indicators, threat objects and relationships, then
retro-hunts the new or changed indicators in the alerts of the last --hunt-days
days. A TAXII collection is pulled incrementally: the next pull of the same
collection asks only for objects added since (added_after), and a pull that
fails part-way resumes where it stopped. A MISP feed's events are fetched
when new or changed since the last pull (by manifest.json).

Credentials come from the environment: --user with WATCHFLOOR_INTEL_PASSWORD
for HTTP basic, or WATCHFLOOR_INTEL_TOKEN for a bearer token. --feed NAME pulls
a feed configured with "intel feeds add" using its own settings.`,
		Example: `  watchfloor intel pull --taxii https://cti.example.org/taxii2/ --collection 91a7b528-80eb-42ed-a74d-c6fbd5a26116
  watchfloor intel pull --misp-feed https://www.circl.lu/doc/misp/feed-osint/
  watchfloor intel pull --csv blocklist.csv --source acme-blocklist`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			n := 0
			for _, v := range []string{taxiiURL, mispFeed, stixLoc, csvLoc, feed} {
				if v != "" {
					n++
				}
			}
			if n != 1 {
				return errors.New("name one feed: --taxii URL --collection ID, --misp-feed, --stix, --csv or --feed")
			}
			if taxiiURL != "" && collection == "" {
				return errors.New("--taxii needs --collection ID")
			}
			st, err := a.open(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			auth := intel.Auth{Username: user, Password: os.Getenv(envIntelPassword), Token: os.Getenv(envIntelToken)}
			p := a.puller(st, huntDays)
			var res intel.PullResult
			switch {
			case taxiiURL != "":
				res, err = p.PullTAXII(ctx, taxiiURL, collection, source, auth)
			case mispFeed != "":
				res, err = p.PullMISPFeed(ctx, mispFeed, source, auth)
			case stixLoc != "":
				res, err = p.PullFile(ctx, stixLoc, intel.FeedSTIX, orDefault(source, "stix"), auth)
			case csvLoc != "":
				res, err = p.PullFile(ctx, csvLoc, intel.FeedCSV, orDefault(source, "csv"), auth)
			default:
				f, ferr := st.Feed(ctx, feed)
				if ferr != nil {
					return fmt.Errorf("feed %q: %w", feed, ferr)
				}
				res, err = p.PullFeed(ctx, f)
			}
			if perr := a.renderPull(res); perr != nil {
				return perr
			}
			if err != nil {
				return err
			}
			if res.Rejected > 0 {
				return &exitError{code: ExitRejects, err: fmt.Errorf("%d records rejected", res.Rejected)}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&taxiiURL, "taxii", "", "TAXII 2.1 discovery URL or API root")
	f.StringVar(&collection, "collection", "", "TAXII collection id")
	f.StringVar(&mispFeed, "misp-feed", "", "MISP feed: a folder or URL holding manifest.json and the event files")
	f.StringVar(&stixLoc, "stix", "", "a STIX bundle: file or URL")
	f.StringVar(&csvLoc, "csv", "", "an IoC list in CSV: file or URL")
	f.StringVar(&feed, "feed", "", "a feed configured with 'intel feeds add'")
	f.StringVar(&source, "source", "", "name the records' source (default: from the feed)")
	f.StringVar(&user, "user", "", "user for HTTP basic authentication (password in "+envIntelPassword+")")
	f.IntVar(&huntDays, "hunt-days", intel.DefaultHuntDays, "retro-hunt new indicators in this many days of alerts (negative: no hunt)")
	a.addDemoFlag(cmd)
	return cmd
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func (a *app) renderPull(res intel.PullResult) error {
	if a.format == "json" {
		return a.render(output.Table{JSON: res})
	}
	t := output.Table{Title: "Pulled " + res.Source, Columns: []string{"what", "value"}, Rows: [][]string{
		{"pages or events read", strconv.Itoa(res.Pages)}, {"records", strconv.Itoa(res.Records)}, {"rejected", strconv.Itoa(res.Rejected)},
		{"new", strconv.Itoa(res.Inserted)}, {"updated", strconv.Itoa(res.Updated)}, {"unchanged", strconv.Itoa(res.Unchanged)},
		{"next pull resumes after", res.Cursor},
		{"retro-hunt", fmt.Sprintf("%d indicators over %d alerts: %d matches", res.Hunt.Indicators, res.Hunt.Alerts, res.Hunt.Matches)},
	}}
	for _, p := range res.Problems {
		t.Rows = append(t.Rows, []string{"problem", p})
	}
	return a.render(t)
}

func (a *app) intelMatchesCommand() *cobra.Command {
	var last time.Duration
	var q store.MatchQuery
	cmd := &cobra.Command{
		Use:   "matches",
		Short: "Indicators from feeds that matched alerts, most recently seen first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			q.Type = kindName(q.Type)
			st, err := a.openRead(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			if last > 0 {
				q.Since = time.Now().UTC().Add(-last)
			}
			page, err := (&intel.Service{Store: st}).Matches(ctx, q)
			if err != nil {
				return err
			}
			if a.format == "json" {
				return a.render(output.Table{JSON: page})
			}
			t := output.Table{Title: fmt.Sprintf("%d indicators matched (showing %d)", page.Total, len(page.Rows)),
				Columns: []string{"indicator", "type", "source", "confidence", "alerts", "first seen", "last seen", "found by", "alert ids", "assets", "profiles"}}
			for _, r := range page.Rows {
				t.Rows = append(t.Rows, []string{r.Indicator.Value, r.Indicator.Type, r.Indicator.Source, confidence(r.Indicator.Confidence),
					strconv.FormatInt(r.Alerts, 10), fmtTime(r.FirstSeen), fmtTime(r.LastSeen), foundBy(r.RetroHunt), alertRefs(r),
					assetList(r), profileList(r.Profiles)})
			}
			return a.render(t)
		},
	}
	f := cmd.Flags()
	f.DurationVar(&last, "last", 0, "only matches in alerts of this span before now (e.g. 24h)")
	f.IntVar(&q.MinConfidence, "min-confidence", 0, "only indicators with at least this confidence (0–100)")
	f.StringVar(&q.Type, "type", "", "only indicators of this type (ip, cidr, domain, url, email, md5, sha1, sha256, sha512)")
	f.StringVar(&q.Source, "source", "", "only indicators from this feed")
	f.BoolVar(&q.ByFound, "found", false, "--last selects when Watchfloor found the match, not when the alert happened")
	f.IntVar(&q.Limit, "limit", 50, "indicators to list")
	f.IntVar(&q.Offset, "offset", 0, "page: skip this many indicators")
	a.addDemoFlag(cmd)
	return cmd
}

// kindName reads a --type flag as an observable kind ("" stays "").
func kindName(t string) string {
	if t == "" {
		return ""
	}
	k, _ := observable.KindOf(t)
	return string(k)
}

func confidence(c int) string {
	if c < 0 {
		return "—"
	}
	return strconv.Itoa(c)
}

func foundBy(retro bool) string {
	if retro {
		return "retro-hunt"
	}
	return "ingest"
}

func alertRefs(r intel.MatchRow) string {
	var out []string
	for _, a := range r.AlertRefs {
		out = append(out, fmt.Sprintf("%d (%s/%s)", a.ID, a.Source, a.ExternalID))
	}
	return strings.Join(out, ", ")
}

func assetList(r intel.MatchRow) string {
	var out []string
	for _, e := range r.Assets {
		out = append(out, e.Type+":"+e.Value)
	}
	return strings.Join(out, ", ")
}

func profileList(ps []intel.ProfileRef) string {
	var out []string
	for _, p := range ps {
		out = append(out, p.ID+" "+p.Name)
	}
	return strings.Join(out, ", ")
}

func (a *app) intelProfilesCommand() *cobra.Command {
	var q intel.RankQuery
	cmd := &cobra.Command{
		Use:   "profiles",
		Short: "Threat profiles ranked by relevance to the organisation, with the reasons",
		Args:  cobra.NoArgs,
		RunE: a.reading(func(cmd *cobra.Command, _ []string, st *store.Store) error {
			ctx := cmd.Context()
			r, err := (&intel.Service{Store: st}).Rank(ctx, q)
			if err != nil {
				return err
			}
			if a.format == "json" {
				return a.render(output.Table{JSON: r})
			}
			if r.Org.Empty() {
				fmt.Fprintln(a.stderr, "no organisation profile is set: only activity scores (watchfloor settings org --sectors … --regions … --platforms …)")
			}
			t := output.Table{Title: fmt.Sprintf("%d threat profiles (showing %d); %s", r.Total, len(r.Profiles), intel.RelevanceDefinition),
				Columns: []string{"rank", "id", "name", "kind", "relevance", "reasons", "techniques seen"}}
			for i, p := range r.Profiles {
				var reasons []string
				for _, x := range p.Reasons {
					reasons = append(reasons, fmt.Sprintf("%s +%g: %s", x.Factor, x.Points, x.Text))
				}
				var seen []string
				for _, s := range p.Seen[:min(8, len(p.Seen))] {
					seen = append(seen, s.ID)
				}
				t.Rows = append(t.Rows, []string{strconv.Itoa(q.Offset + i + 1), p.ID, p.Name, p.Kind, strconv.FormatFloat(p.Score, 'f', 1, 64),
					strings.Join(reasons, "; "), strings.Join(seen, ", ")})
			}
			return a.render(t)
		}),
	}
	f := cmd.Flags()
	f.BoolVar(&q.Relevant, "relevant", false, "only profiles with a relevance above zero")
	f.IntVar(&q.Limit, "limit", 20, "profiles to list")
	f.IntVar(&q.Offset, "offset", 0, "page: skip this many profiles")
	f.IntVar(&q.Days, "days", intel.DefaultProfileDays, "activity window in days (matches and techniques seen)")
	f.StringVar(&q.Kind, "kind", "", "only this kind: actor, campaign, malware, ransomware")
	a.addDemoFlag(cmd)
	return cmd
}

func (a *app) intelProfileCommand() *cobra.Command {
	var days int
	cmd := &cobra.Command{
		Use:   "profile ID-OR-NAME",
		Short: "One threat profile in full",
		Args:  cobra.ExactArgs(1),
		RunE: a.reading(func(cmd *cobra.Command, args []string, st *store.Store) error {
			ctx := cmd.Context()
			p, rank, err := (&intel.Service{Store: st}).Profile(ctx, args[0], days)
			if err != nil {
				return err
			}
			if a.format == "json" {
				return a.render(output.Table{JSON: struct {
					Rank int `json:"rank"`
					intel.Ranked
				}{rank, p}})
			}
			var srcs []string
			for _, s := range p.Sources {
				srcs = append(srcs, s.Source+" "+s.ExternalID+" ("+s.Name+")")
			}
			t := output.Table{Title: "Threat profile " + p.ID, Columns: []string{"field", "value"}, Rows: [][]string{
				{"name", p.Name}, {"kind", p.Kind}, {"rank", strconv.Itoa(rank)}, {"relevance", strconv.FormatFloat(p.Score, 'f', 1, 64)},
				{"aliases", strings.Join(p.Aliases, ", ")}, {"country", p.Country}, {"victims", strings.Join(p.Victims, ", ")},
				{"sectors", strings.Join(p.Sectors, ", ")}, {"motivation", p.Motivation}, {"ATT&CK ids", strings.Join(p.AttackIDs, ", ")},
				{"techniques", strings.Join(p.Techniques, ", ")}, {"url", p.URL}, {"sources", strings.Join(srcs, "; ")},
				{"description", p.Description},
			}}
			for _, x := range p.Reasons {
				t.Rows = append(t.Rows, []string{"reason: " + x.Factor + " +" + strconv.FormatFloat(x.Points, 'f', -1, 64), x.Text})
			}
			return a.render(t)
		}),
	}
	cmd.Flags().IntVar(&days, "days", intel.DefaultProfileDays, "activity window in days")
	a.addDemoFlag(cmd)
	return cmd
}

func (a *app) intelIndicatorsCommand() *cobra.Command {
	var q store.IndicatorQuery
	var active bool
	cmd := &cobra.Command{
		Use:   "indicators",
		Short: "Stored indicators, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			q.Type = kindName(q.Type)
			st, err := a.openRead(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			if active {
				q.ActiveAt = time.Now().UTC()
			}
			rows, err := st.ListIndicators(ctx, q)
			if err != nil {
				return err
			}
			if a.format == "json" {
				if rows == nil {
					rows = []store.IndicatorRow{}
				}
				return a.render(output.Table{JSON: rows})
			}
			now := time.Now().UTC()
			t := output.Table{Columns: []string{"id", "source", "type", "value", "state", "confidence", "tlp", "valid until", "matched alerts", "name"}}
			for _, r := range rows {
				t.Rows = append(t.Rows, []string{strconv.FormatInt(r.ID, 10), r.Source, r.Type, r.Value, indicatorState(r, now),
					confidence(r.Confidence), r.TLP, fmtTime(r.ValidUntil), strconv.FormatInt(r.MatchedAlerts, 10), r.Name})
			}
			return a.render(t)
		},
	}
	f := cmd.Flags()
	f.StringVar(&q.Type, "type", "", "only indicators with a value of this type")
	f.StringVar(&q.Search, "search", "", "only indicators whose value or name contains this")
	f.StringVar(&q.Source, "source", "", "only indicators from this feed")
	f.BoolVar(&active, "active", false, "only indicators that may match now")
	f.IntVar(&q.Limit, "limit", 50, "indicators to list")
	f.Int64Var(&q.AfterID, "before-id", 0, "page: only indicators with a smaller id")
	a.addDemoFlag(cmd)
	return cmd
}

// indicatorState is active, expired, revoked or context (not for detection).
func indicatorState(r store.IndicatorRow, now time.Time) string {
	switch {
	case r.Revoked:
		return "revoked"
	case !r.Detect:
		return "context"
	case !r.ValidUntil.IsZero() && !r.ValidUntil.After(now):
		return "expired"
	}
	return "active"
}

func (a *app) intelHuntCommand() *cobra.Command {
	var days int
	var all bool
	cmd := &cobra.Command{
		Use:   "hunt",
		Short: "Retro-hunt indicators not yet hunted (--all: every indicator) in the alerts of the last days",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			st, err := a.open(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			if all {
				if err := st.RequeueHunt(ctx); err != nil {
					return err
				}
			}
			res, err := intel.RetroHunt(ctx, st, days, time.Now().UTC())
			if err != nil {
				return err
			}
			if a.format == "json" {
				return a.render(output.Table{JSON: res})
			}
			return a.render(output.Table{Columns: []string{"indicators", "keys", "alerts scanned", "matches stored", "since", "seconds"},
				Rows: [][]string{{strconv.Itoa(res.Indicators), strconv.Itoa(res.Keys), strconv.Itoa(res.Alerts), strconv.Itoa(res.Matches),
					fmtTime(res.Since), strconv.FormatFloat(res.Elapsed, 'f', 2, 64)}}})
		},
	}
	cmd.Flags().IntVar(&days, "days", intel.DefaultHuntDays, "days of alerts to look in")
	cmd.Flags().BoolVar(&all, "all", false, "hunt every active indicator, not only those that arrived or changed since the last hunt")
	return cmd
}

func (a *app) intelFeedsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "feeds",
		Short: "Feeds and their freshness; add or remove scheduled feeds",
		Args:  cobra.NoArgs,
		RunE: a.reading(func(cmd *cobra.Command, _ []string, st *store.Store) error {
			ctx := cmd.Context()
			srcs, err := (&intel.Service{Store: st}).Sources(ctx)
			if err != nil {
				return err
			}
			if a.format == "json" {
				if srcs == nil {
					srcs = []intel.SourceStatus{}
				}
				return a.render(output.Table{JSON: srcs})
			}
			t := output.Table{Columns: []string{"source", "indicators", "active", "expired", "revoked", "context", "last changed",
				"schedule", "last success", "failures", "next pull", "last error"}}
			for _, s := range srcs {
				row := []string{s.Source, strconv.FormatInt(s.Indicators, 10), strconv.FormatInt(s.Active, 10), strconv.FormatInt(s.Expired, 10),
					strconv.FormatInt(s.Revoked, 10), strconv.FormatInt(s.Context, 10), fmtTime(s.LastChanged)}
				if f := s.Feed; f != nil {
					row = append(row, f.Kind+" every "+f.Interval.String(), fmtTime(f.LastSuccess), strconv.Itoa(f.Failures), fmtTime(f.NextRun), f.LastError)
				} else {
					row = append(row, "not scheduled", "", "", "", "")
				}
				t.Rows = append(t.Rows, row)
			}
			return a.render(t)
		}),
	}
	var f store.IntelFeed
	var taxiiURL, mispFeed, stixLoc, csvLoc string
	add := &cobra.Command{
		Use:   "add NAME",
		Short: "Schedule a feed, pulled by `watchfloor serve` every --interval",
		Long: `Add (or change) a feed that "watchfloor serve" pulls every --interval, backing off
after failures (1, 2, 4 … minutes, at most the longer of the interval and an
hour). Its records carry NAME as their source. Secrets are never stored: name
the environment variable that holds the password (--auth basic --user U) or
the token (--auth bearer) with --secret-env; serve reads it at each pull.`,
		Example: `  watchfloor intel feeds add acme --taxii https://cti.example.org/taxii2/ --collection 91a7… --auth bearer --secret-env ACME_TOKEN --interval 1h`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			f.Name, f.Enabled = args[0], true
			n := 0
			for kind, loc := range map[string]string{intel.FeedTAXII: taxiiURL, intel.FeedMISP: mispFeed, intel.FeedSTIX: stixLoc, intel.FeedCSV: csvLoc} {
				if loc != "" {
					f.Kind, f.URL = kind, loc
					n++
				}
			}
			switch {
			case n != 1:
				return errors.New("name one source: --taxii URL --collection ID, --misp-feed, --stix or --csv")
			case f.Kind == intel.FeedTAXII && f.Collection == "":
				return errors.New("--taxii needs --collection ID")
			case f.Interval < time.Minute:
				return errors.New("--interval must be at least 1m")
			case f.Auth != "" && f.Auth != "basic" && f.Auth != "bearer":
				return fmt.Errorf("--auth %q: want basic or bearer", f.Auth)
			case f.Auth != "" && f.SecretEnv == "":
				return errors.New("--auth needs --secret-env NAME: the environment variable holding the secret")
			case strings.TrimSpace(f.Name) == "":
				return errors.New("a feed needs a name")
			}
			st, err := a.open(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.SaveFeed(ctx, f, time.Now().UTC()); err != nil {
				return err
			}
			a.log.Info("feed saved", "feed", f.Name, "kind", f.Kind, "interval", f.Interval)
			fmt.Fprintf(a.stdout, "feed %s: %s %s every %s\n", output.Terminal(f.Name), f.Kind, output.Terminal(f.URL), f.Interval)
			return nil
		},
	}
	af := add.Flags()
	af.StringVar(&taxiiURL, "taxii", "", "TAXII 2.1 discovery URL or API root")
	af.StringVar(&f.Collection, "collection", "", "TAXII collection id")
	af.StringVar(&mispFeed, "misp-feed", "", "MISP feed folder or URL")
	af.StringVar(&stixLoc, "stix", "", "STIX bundle file or URL")
	af.StringVar(&csvLoc, "csv", "", "IoC list (CSV) file or URL")
	af.DurationVar(&f.Interval, "interval", 6*time.Hour, "how often to pull")
	af.StringVar(&f.Auth, "auth", "", "basic or bearer")
	af.StringVar(&f.Username, "user", "", "user for basic authentication")
	af.StringVar(&f.SecretEnv, "secret-env", "", "environment variable holding the password or token")
	remove := &cobra.Command{
		Use:   "remove NAME",
		Short: "Stop pulling a feed (its indicators stay)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			ok, err := st.DeleteFeed(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("no feed %q", args[0])
			}
			fmt.Fprintln(a.stdout, "feed", output.Terminal(args[0]), "removed")
			return nil
		},
	}
	cmd.AddCommand(add, remove)
	a.addDemoFlag(cmd)
	return cmd
}

// orgCommand is "settings org": show or change the organisation profile.
func (a *app) orgCommand() *cobra.Command {
	var o intel.OrgProfile
	var clear bool
	cmd := &cobra.Command{
		Use:   "org",
		Short: "Show or set the organisation profile threat relevance is scored for",
		Long: `With no flags, show the organisation profile. --sectors, --regions and
--platforms (comma-separated or repeated) replace the named parts; --clear
removes the profile. Sectors are mapped onto a vocabulary (finance takes in
"financial services", "banking" …); regions are countries (names or ISO
codes) or regions such as Europe or Middle East; platforms are ATT&CK's.`,
		Example: `  watchfloor settings org --sectors finance --regions Germany,FR --platforms Windows,Linux,IaaS`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			fl := cmd.Flags()
			change := clear || fl.Changed("sectors") || fl.Changed("regions") || fl.Changed("platforms")
			open := a.openRead // showing the profile only reads
			if change {
				open = a.open
			}
			st, err := open(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			svc := &intel.Service{Store: st}
			cur, err := svc.OrgProfile(ctx)
			if err != nil {
				return err
			}
			if change {
				next := cur
				if clear {
					next = intel.OrgProfile{}
				}
				if fl.Changed("sectors") {
					next.Sectors = o.Sectors
				}
				if fl.Changed("regions") {
					next.Regions = o.Regions
				}
				if fl.Changed("platforms") {
					next.Platforms = o.Platforms
				}
				if cur, err = svc.SetOrgProfile(ctx, next); err != nil {
					return err
				}
				a.log.Info("setting changed", "setting", intel.SettingOrgProfile, "sectors", cur.Sectors, "regions", cur.Regions, "platforms", cur.Platforms)
			}
			if a.format == "json" {
				return a.render(output.Table{JSON: cur})
			}
			return a.render(output.Table{Title: "Organisation profile", Columns: []string{"part", "value"}, Rows: [][]string{
				{"sectors", strings.Join(cur.Sectors, ", ")}, {"regions", strings.Join(cur.Regions, ", ")},
				{"platforms", strings.Join(cur.Platforms, ", ")}}})
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&o.Sectors, "sectors", nil, "the organisation's sectors, e.g. finance,healthcare")
	f.StringSliceVar(&o.Regions, "regions", nil, "countries and regions it operates in, e.g. Germany,FR,Europe")
	f.StringSliceVar(&o.Platforms, "platforms", nil, "its technology platforms (ATT&CK names), e.g. Windows,Linux,IaaS")
	f.BoolVar(&clear, "clear", false, "remove the organisation profile")
	return cmd
}

// huntAfter retro-hunts after an ingest stored new or changed indicators.
func (a *app) huntAfter(ctx context.Context, st *store.Store, changed int) error {
	if changed == 0 {
		return nil
	}
	res, err := intel.RetroHunt(ctx, st, intel.DefaultHuntDays, time.Now().UTC())
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "retro-hunt: %d indicators over %d alerts of the last %d days, %d matches stored\n",
		res.Indicators, res.Alerts, intel.DefaultHuntDays, res.Matches)
	return nil
}
