package intel

import (
	"context"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/intel/observable"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
)

// PrevalenceDefinition says what ObservablePrevalence reports.
const PrevalenceDefinition = "observables are the public IP addresses, domains, file hashes and URLs attached as entities to alerts " +
	"created in the window (private, loopback and link-local addresses are assets, not observables); ranked by alert count; " +
	"confidence is the share of true positives among the judged alerts that carried the observable. This is how often a value " +
	"appears in the organisation's alerts, not a match against threat intelligence"

// prevalenceTypes maps entity types onto the observable classes counted.
var prevalenceTypes = map[string]string{
	"ip": "ip", "ipv4": "ip", "ipv6": "ip", "ip_address": "ip", "address": "ip",
	"domain": "domain", "domain_name": "domain", "fqdn": "domain",
	"hash": "hash", "filehash": "hash", "file_hash": "hash", "md5": "hash", "sha1": "hash", "sha256": "hash",
	"url": "url", "uri": "url",
}

// Prevalence is one observable and the alerts that carried it.
type Prevalence struct {
	Value string
	Type  string
	// Sources are the systems whose alerts carried it.
	Sources             []string
	FirstSeen, LastSeen time.Time
	Alerts              int
	// TruePositives, FalsePositives and Judged count the alerts by verdict
	// (Judged: true, benign true and false positives).
	TruePositives, FalsePositives, Judged int
	// AlertIDs are up to 5 alerts' ids, newest first; Assets up to 5 hosts
	// and users seen with it.
	AlertIDs []int64
	Assets   []string
}

// PrevalenceResult is the ranking of a window's observables.
type PrevalenceResult struct {
	Since         time.Time
	AlertsScanned int
	// ScanTruncated is set when the window held more alerts than scanCap.
	ScanTruncated bool
	// Observables is the number of distinct observables found.
	Observables int
	Top         []Prevalence
}

type prevalenceAgg struct {
	Prevalence
	sources map[string]bool
	assets  map[string]bool
}

// ObservablePrevalence ranks the observables of the alerts created in
// [since, until) by the number of alerts that carried them, reading at
// most scanCap alerts (newest first), and returns the top limit.
func ObservablePrevalence(ctx context.Context, st *store.Store, since, until time.Time, limit, scanCap int) (PrevalenceResult, error) {
	res := PrevalenceResult{Since: since}
	aggs := map[[2]string]*prevalenceAgg{}
	isObservable := func(t string) bool { _, ok := prevalenceTypes[strings.ToLower(t)]; return ok }
	n, truncated, err := st.ScanAlertEntities(ctx, since, until, scanCap, isObservable, func(a *store.AlertEntities) bool {
		for _, e := range a.Entities {
			typ, ok := prevalenceTypes[strings.ToLower(e.Type)]
			if !ok || e.Value == "" {
				continue
			}
			v := strings.TrimSpace(e.Value)
			if typ == "ip" {
				ip, err := netip.ParseAddr(v)
				if err != nil || ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() {
					continue
				}
				v = ip.String()
			} else if typ != "url" {
				v = strings.ToLower(v)
			}
			k := [2]string{typ, v}
			g := aggs[k]
			if g == nil {
				g = &prevalenceAgg{Prevalence: Prevalence{Value: v, Type: typ}, sources: map[string]bool{}, assets: map[string]bool{}}
				aggs[k] = g
			}
			g.Alerts++
			g.sources[a.Source] = true
			if t := a.CreatedAt; !t.IsZero() {
				if g.FirstSeen.IsZero() || t.Before(g.FirstSeen) {
					g.FirstSeen = t
				}
				if t.After(g.LastSeen) {
					g.LastSeen = t
				}
			}
			if len(g.AlertIDs) < 5 {
				g.AlertIDs = append(g.AlertIDs, a.ID)
			}
			switch a.Disposition {
			case model.DispositionTruePositive:
				g.TruePositives++
				g.Judged++
			case model.DispositionFalsePositive:
				g.FalsePositives++
				g.Judged++
			case model.DispositionBenignPositive:
				g.Judged++
			}
			for _, x := range a.Entities {
				if observable.IsAsset(x.Type) && len(g.Assets) < 5 && !g.assets[x.Value] {
					g.assets[x.Value] = true
					g.Assets = append(g.Assets, x.Value)
				}
			}
		}
		return true
	})
	if err != nil {
		return res, err
	}
	list := make([]*prevalenceAgg, 0, len(aggs))
	for _, g := range aggs {
		list = append(list, g)
	}
	sort.Slice(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if a.Alerts != b.Alerts {
			return a.Alerts > b.Alerts
		}
		if !a.LastSeen.Equal(b.LastSeen) {
			return a.LastSeen.After(b.LastSeen)
		}
		return a.Type+a.Value < b.Type+b.Value
	})
	for _, g := range list[:min(limit, len(list))] {
		p := g.Prevalence
		for src := range g.sources {
			p.Sources = append(p.Sources, src)
		}
		sort.Strings(p.Sources)
		res.Top = append(res.Top, p)
	}
	res.AlertsScanned, res.ScanTruncated, res.Observables = n, truncated, len(aggs)
	return res, nil
}
