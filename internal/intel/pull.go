package intel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/ingest"
	"github.com/watchfloor/watchfloor/internal/ingest/iocsv"
	"github.com/watchfloor/watchfloor/internal/ingest/misp"
	"github.com/watchfloor/watchfloor/internal/ingest/stix"
	"github.com/watchfloor/watchfloor/internal/intel/taxii"
	"github.com/watchfloor/watchfloor/internal/store"
)

// Feed kinds.
const (
	FeedTAXII = "taxii"
	FeedMISP  = "misp"
	FeedSTIX  = "stix"
	FeedCSV   = "csv"
)

// FeedKinds lists the feed kinds.
var FeedKinds = []string{FeedTAXII, FeedMISP, FeedSTIX, FeedCSV}

// Puller pulls threat intelligence into the store through the ingest
// pipeline and retro-hunts what arrived.
type Puller struct {
	Store *store.Store
	// HTTP fetches feeds; nil is a client with a 60-second timeout.
	HTTP *http.Client
	// Log receives a line per page and per problem; nil discards them.
	Log *slog.Logger
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// HuntDays is how far back a retro-hunt after a pull looks
	// (DefaultHuntDays when 0); negative skips the hunt.
	HuntDays int
	// PageSize asks TAXII servers for pages of this many objects (0: the
	// server's default).
	PageSize int
	// OnReject is called for every record a feed had that could not be
	// stored, with its location and the reason.
	OnReject func(loc string, err error)
}

// Auth is how a feed is authenticated.
type Auth struct {
	Username, Password string
	Token              string
}

// PullResult is what a pull did.
type PullResult struct {
	// Source names the feed's records in the store.
	Source string `json:"source"`
	// Pages (TAXII pages, MISP events, files) read; Records parsed,
	// Rejected of them refused.
	Pages    int `json:"pages"`
	Records  int `json:"records"`
	Rejected int `json:"rejected"`
	// Inserted, Updated and Unchanged count the stored records.
	Inserted  int `json:"inserted"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	// Cursor is where the next pull resumes (a TAXII added_after).
	Cursor string     `json:"cursor,omitempty"`
	Hunt   HuntResult `json:"retro_hunt"`
	// Problems are what failed without stopping the pull (a MISP event
	// that could not be fetched), with where.
	Problems []string `json:"problems,omitempty"`
}

func (r *PullResult) add(s ingest.Summary) {
	r.Records += s.Records
	r.Rejected += s.Rejected
	for _, k := range []store.Kind{store.KindIndicator, store.KindThreat, store.KindRelation} {
		r.Inserted += s.Inserted[k]
		r.Updated += s.Updated[k]
		r.Unchanged += s.Unchanged[k]
	}
}

func (p *Puller) now() time.Time {
	if p.Now != nil {
		return p.Now().UTC()
	}
	return time.Now().UTC()
}

func (p *Puller) log() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.New(slog.DiscardHandler)
}

func (p *Puller) client() *http.Client {
	if p.HTTP != nil {
		return p.HTTP
	}
	return &http.Client{Timeout: 60 * time.Second}
}

// ingest stores one input through the pipeline; rejects are reported, not
// errors.
func (p *Puller) ingest(ctx context.Context, f ingest.Format, r io.Reader, name string, res *PullResult) error {
	sum, err := ingest.RunFormat(ctx, p.Store, f, r, name, ingest.Options{OnReject: p.OnReject})
	res.add(sum)
	if err != nil && !errors.Is(err, ingest.ErrRejects) {
		return err
	}
	return nil
}

// hunt runs the retro-hunt after a pull that changed indicators.
func (p *Puller) hunt(ctx context.Context, res *PullResult) error {
	if p.HuntDays < 0 || res.Inserted+res.Updated == 0 {
		return nil
	}
	h, err := RetroHunt(ctx, p.Store, p.HuntDays, p.now())
	res.Hunt = h
	if err != nil {
		return err
	}
	p.log().Info("retro-hunt", "source", res.Source, "indicators", h.Indicators, "alerts", h.Alerts, "matches", h.Matches)
	return nil
}

// TAXIISource is the source name of a TAXII collection's records when no
// feed name is given: "taxii:", the API root without its scheme, and the
// collection id.
func TAXIISource(root, collection string) string {
	u := root
	if p, err := url.Parse(root); err == nil {
		p.User = nil
		u = p.Host + p.Path
	}
	return "taxii:" + strings.TrimSuffix(u, "/") + "/collections/" + collection
}

const cursorAddedAfter = "added_after"

// PullTAXII pulls a collection's objects added since the last pull of the
// same source, page by page. u is the server's discovery URL or an API
// root. After each page the source's cursor moves to the page's last
// "date added", so a pull that fails part-way resumes there. source names
// the records (TAXIISource when empty).
func (p *Puller) PullTAXII(ctx context.Context, u, collection, source string, auth Auth) (PullResult, error) {
	c := &taxii.Client{HTTP: p.client(), Username: auth.Username, Password: auth.Password, Token: auth.Token, UserAgent: "watchfloor"}
	root, _, err := c.Resolve(ctx, u, collection)
	if err != nil {
		return PullResult{}, err
	}
	if source == "" {
		source = TAXIISource(root, collection)
	}
	res := PullResult{Source: source}
	cursors, err := p.Store.Cursors(ctx, source)
	if err != nil {
		return res, err
	}
	q := taxii.Query{AddedAfter: cursors[cursorAddedAfter], Limit: p.PageSize}
	res.Cursor = q.AddedAfter
	format := ingest.Format{Name: "stix", Parser: stix.Parser{Source: source}}
	for {
		page, err := c.Objects(ctx, root, collection, q)
		if err != nil {
			return res, fmt.Errorf("page %d: %w", res.Pages+1, err)
		}
		res.Pages++
		if len(page.Objects) > 0 {
			env, err := json.Marshal(map[string]any{"objects": page.Objects})
			if err != nil {
				return res, err
			}
			name := fmt.Sprintf("%s page %d", taxii.ObjectsURL(root, collection), res.Pages)
			if err := p.ingest(ctx, format, bytes.NewReader(env), name, &res); err != nil {
				return res, err
			}
		}
		if page.DateAddedLast != "" && page.DateAddedLast != res.Cursor {
			if err := p.Store.SetCursors(ctx, source, map[string]string{cursorAddedAfter: page.DateAddedLast}, p.now()); err != nil {
				return res, err
			}
			res.Cursor = page.DateAddedLast
		}
		p.log().Debug("TAXII page", "source", source, "page", res.Pages, "objects", len(page.Objects), "more", page.More)
		if !page.More || len(page.Objects) == 0 {
			break
		}
		switch {
		case page.Next != "" && page.Next != q.Next:
			q.Next = page.Next
		case page.Next == "" && page.DateAddedLast != q.AddedAfter:
			q.Next, q.AddedAfter = "", page.DateAddedLast
		default:
			return res, fmt.Errorf("page %d: the server says there is more but points back at the same page", res.Pages)
		}
	}
	return res, p.hunt(ctx, &res)
}

// fetch opens a local path or fetches an http(s) URL.
func (p *Puller) fetch(ctx context.Context, loc string, auth Auth) (io.ReadCloser, error) {
	if !strings.HasPrefix(loc, "http://") && !strings.HasPrefix(loc, "https://") {
		return os.Open(loc)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, loc, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "watchfloor")
	taxii.SetAuth(req, auth.Username, auth.Password, auth.Token)
	resp, err := p.client().Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("%s: HTTP %d %s", loc, resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return resp.Body, nil
}

// join appends a file name to a directory or a URL.
func join(base, name string) string {
	if strings.HasPrefix(base, "http://") || strings.HasPrefix(base, "https://") {
		return strings.TrimSuffix(base, "/") + "/" + url.PathEscape(name)
	}
	return filepath.Join(base, name)
}

// MISPFeedCursor is the cursor source of a MISP feed's events.
func MISPFeedCursor(loc string) string { return "misp-feed:" + loc }

// PullMISPFeed pulls a MISP feed (a directory or URL holding manifest.json
// and one <uuid>.json per event): the events that are new or whose
// timestamp changed since the last pull. An event that cannot be fetched
// is reported in the result's problems and the pull goes on; the pull
// then returns an error, and the next pull fetches it again. source names
// the records ("misp:" and the creating organisation when empty).
func (p *Puller) PullMISPFeed(ctx context.Context, loc, source string, auth Auth) (PullResult, error) {
	res := PullResult{Source: source}
	mr, err := p.fetch(ctx, join(loc, "manifest.json"), auth)
	if err != nil {
		return res, fmt.Errorf("reading the MISP feed manifest: %w", err)
	}
	var manifest map[string]struct {
		Timestamp json.RawMessage `json:"timestamp"`
		Info      string          `json:"info"`
	}
	err = json.NewDecoder(io.LimitReader(mr, 64<<20)).Decode(&manifest)
	mr.Close()
	if err != nil {
		return res, fmt.Errorf("%s: not a MISP feed manifest: %w", join(loc, "manifest.json"), err)
	}
	cursorSrc := MISPFeedCursor(loc)
	if source != "" {
		cursorSrc = "misp-feed:" + source
	}
	seen, err := p.Store.Cursors(ctx, cursorSrc)
	if err != nil {
		return res, err
	}
	uuids := make([]string, 0, len(manifest))
	for id := range manifest {
		uuids = append(uuids, id)
	}
	sort.Strings(uuids)
	format := ingest.Format{Name: "misp", Parser: misp.Parser{Source: source}}
	var failed int
	for _, id := range uuids {
		ts := strings.Trim(string(manifest[id].Timestamp), `"`)
		if _, err := strconv.ParseInt(ts, 10, 64); err != nil {
			res.Problems = append(res.Problems, fmt.Sprintf("manifest.json: event %s: timestamp %s is not a number", id, manifest[id].Timestamp))
			failed++
			continue
		}
		if seen[id] == ts {
			continue
		}
		if err := ctx.Err(); err != nil {
			return res, err
		}
		name := join(loc, id+".json")
		r, err := p.fetch(ctx, name, auth)
		if err != nil {
			res.Problems = append(res.Problems, fmt.Sprintf("event %s: %v", id, err))
			failed++
			continue
		}
		err = p.ingest(ctx, format, r, name, &res)
		r.Close()
		if err != nil {
			return res, err
		}
		res.Pages++
		if err := p.Store.SetCursors(ctx, cursorSrc, map[string]string{id: ts}, p.now()); err != nil {
			return res, err
		}
	}
	if err := p.hunt(ctx, &res); err != nil {
		return res, err
	}
	if failed > 0 {
		return res, fmt.Errorf("%d of %d events could not be read: %s", failed, len(uuids), strings.Join(res.Problems, "; "))
	}
	return res, nil
}

// PullFile pulls a STIX bundle or an IoC list (CSV) from a path or URL.
func (p *Puller) PullFile(ctx context.Context, loc, kind, source string, auth Auth) (PullResult, error) {
	res := PullResult{Source: source}
	var f ingest.Format
	switch kind {
	case FeedSTIX:
		f = ingest.Format{Name: "stix", Parser: stix.Parser{Source: source}}
	case FeedCSV:
		f = ingest.Format{Name: "iocsv", Parser: iocsv.Parser{Source: source}}
	default:
		return res, fmt.Errorf("feed kind %q is not a file kind (stix, csv)", kind)
	}
	r, err := p.fetch(ctx, loc, auth)
	if err != nil {
		return res, err
	}
	defer r.Close()
	if err := p.ingest(ctx, f, r, loc, &res); err != nil {
		return res, err
	}
	res.Pages = 1
	return res, p.hunt(ctx, &res)
}

// FeedAuth reads a feed's secret from its environment variable.
func FeedAuth(f store.IntelFeed) (Auth, error) {
	var a Auth
	secret := ""
	if f.SecretEnv != "" {
		secret = os.Getenv(f.SecretEnv)
		if secret == "" {
			return a, fmt.Errorf("feed %s: environment variable %s (its secret) is empty", f.Name, f.SecretEnv)
		}
	}
	switch f.Auth {
	case "":
	case "basic":
		a.Username, a.Password = f.Username, secret
	case "bearer":
		a.Token = secret
	default:
		return a, fmt.Errorf("feed %s: unknown authentication %q (basic or bearer)", f.Name, f.Auth)
	}
	return a, nil
}

// PullFeed pulls a configured feed; its records carry the feed's name as
// their source.
func (p *Puller) PullFeed(ctx context.Context, f store.IntelFeed) (PullResult, error) {
	auth, err := FeedAuth(f)
	if err != nil {
		return PullResult{Source: f.Name}, err
	}
	switch f.Kind {
	case FeedTAXII:
		return p.PullTAXII(ctx, f.URL, f.Collection, f.Name, auth)
	case FeedMISP:
		return p.PullMISPFeed(ctx, f.URL, f.Name, auth)
	case FeedSTIX, FeedCSV:
		return p.PullFile(ctx, f.URL, f.Kind, f.Name, auth)
	}
	return PullResult{Source: f.Name}, fmt.Errorf("feed %s: unknown kind %q", f.Name, f.Kind)
}
