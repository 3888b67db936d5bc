// Package taxii is a TAXII 2.1 client: server discovery, API roots,
// collections and the objects of a collection, paged with "next" (or, from
// servers that give no token, with X-TAXII-Date-Added-Last) and filtered
// with added_after, over HTTP basic or bearer authentication.
//
// A server's answers are untrusted: bodies are size-limited, must be TAXII
// JSON, and an error status is reported with the URL and the server's
// TAXII error title when it sends one. Secrets are never part of an error.
package taxii

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// MediaType is the TAXII 2.1 media type.
const MediaType = "application/taxii+json;version=2.1"

// DefaultMaxBody bounds a response body.
const DefaultMaxBody = 64 << 20

// Client talks to one TAXII server.
type Client struct {
	// HTTP is the client used; nil is one with a 60-second timeout.
	HTTP *http.Client
	// Username and Password authenticate with HTTP basic; Token, when
	// set, as a bearer token instead.
	Username, Password string
	Token              string
	// MaxBody bounds each response (DefaultMaxBody when 0).
	MaxBody int64
	// UserAgent is sent with every request.
	UserAgent string
}

// Discovery is a server's discovery document.
type Discovery struct {
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Contact     string   `json:"contact"`
	Default     string   `json:"default"`
	APIRoots    []string `json:"api_roots"`
}

// APIRoot describes an API root.
type APIRoot struct {
	Title            string   `json:"title"`
	Description      string   `json:"description"`
	Versions         []string `json:"versions"`
	MaxContentLength int64    `json:"max_content_length"`
}

// Collection describes a collection.
type Collection struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	CanRead     bool     `json:"can_read"`
	CanWrite    bool     `json:"can_write"`
	MediaTypes  []string `json:"media_types"`
}

// Page is one answer of a collection's objects endpoint.
type Page struct {
	Objects []json.RawMessage `json:"objects"`
	More    bool              `json:"more"`
	Next    string            `json:"next"`
	// DateAddedFirst and DateAddedLast are the X-TAXII-Date-Added-First and
	// -Last headers: when the page's first and last objects were added.
	DateAddedFirst, DateAddedLast string `json:"-"`
}

// StatusError is an error status from the server.
type StatusError struct {
	URL    string
	Status int
	// Title is the TAXII error message's title, when the server sent one.
	Title string
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("%s: HTTP %d %s", e.URL, e.Status, http.StatusText(e.Status))
	if e.Title != "" {
		s += ": " + e.Title
	}
	return s
}

// SetAuth authenticates a request with a bearer token when one is given,
// else with HTTP basic when a user is.
func SetAuth(req *http.Request, username, password, token string) {
	switch {
	case token != "":
		req.Header.Set("Authorization", "Bearer "+token)
	case username != "":
		req.SetBasicAuth(username, password)
	}
}

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: 60 * time.Second}
}

// get fetches u and decodes its TAXII JSON body into v, returning the
// response headers.
func (c *Client) get(ctx context.Context, u string, v any) (http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("TAXII request %s: %w", u, err)
	}
	req.Header.Set("Accept", MediaType)
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	SetAuth(req, c.Username, c.Password, c.Token)
	resp, err := c.http().Do(req)
	if err != nil {
		return nil, fmt.Errorf("TAXII request %s: %w", redact(u), err)
	}
	defer resp.Body.Close()
	max := c.MaxBody
	if max <= 0 {
		max = DefaultMaxBody
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", redact(u), err)
	}
	if int64(len(body)) > max {
		return nil, fmt.Errorf("%s: answer larger than %d bytes", redact(u), max)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		se := &StatusError{URL: redact(u), Status: resp.StatusCode}
		var e struct {
			Title string `json:"title"`
		}
		if json.Unmarshal(body, &e) == nil {
			se.Title = clip(e.Title)
		}
		return nil, se
	}
	if err := json.Unmarshal(body, v); err != nil {
		return nil, fmt.Errorf("%s: not a TAXII answer (%s): %w", redact(u), describe(body, resp.Header.Get("Content-Type")), err)
	}
	return resp.Header, nil
}

// describe says what a body that is not TAXII JSON starts with.
func describe(body []byte, ctype string) string {
	s := strings.TrimSpace(string(body[:min(len(body), 40)]))
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return '.'
		}
		return r
	}, s)
	if ctype == "" {
		ctype = "no content type"
	}
	return fmt.Sprintf("%s, starting %q", ctype, s)
}

func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// redact removes user information from a URL for messages.
func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.User == nil {
		return u
	}
	p.User = nil
	return p.String()
}

// withSlash ends a URL's path with '/', as TAXII endpoints do.
func withSlash(u string) string {
	if strings.HasSuffix(u, "/") {
		return u
	}
	return u + "/"
}

// Discover reads a server's discovery document (at e.g.
// https://example.org/taxii2/).
func (c *Client) Discover(ctx context.Context, discoveryURL string) (Discovery, error) {
	var d Discovery
	_, err := c.get(ctx, withSlash(discoveryURL), &d)
	return d, err
}

// APIRoot reads an API root's description.
func (c *Client) APIRoot(ctx context.Context, rootURL string) (APIRoot, error) {
	var r APIRoot
	_, err := c.get(ctx, withSlash(rootURL), &r)
	return r, err
}

// Collections lists an API root's collections.
func (c *Client) Collections(ctx context.Context, rootURL string) ([]Collection, error) {
	var r struct {
		Collections []Collection `json:"collections"`
	}
	_, err := c.get(ctx, withSlash(rootURL)+"collections/", &r)
	return r.Collections, err
}

// Query selects objects.
type Query struct {
	// AddedAfter keeps objects added after this TAXII timestamp.
	AddedAfter string
	// Next is the token of the page to read (from the previous Page).
	Next string
	// Limit asks for at most this many objects (0: the server's default).
	Limit int
}

// ObjectsURL is the objects endpoint of a collection.
func ObjectsURL(rootURL, collection string) string {
	return withSlash(rootURL) + "collections/" + url.PathEscape(collection) + "/objects/"
}

// Objects reads one page of a collection's objects.
func (c *Client) Objects(ctx context.Context, rootURL, collection string, q Query) (Page, error) {
	v := url.Values{}
	if q.AddedAfter != "" {
		v.Set("added_after", q.AddedAfter)
	}
	if q.Next != "" {
		v.Set("next", q.Next)
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	u := ObjectsURL(rootURL, collection)
	if len(v) > 0 {
		u += "?" + v.Encode()
	}
	var p Page
	h, err := c.get(ctx, u, &p)
	if err != nil {
		return p, err
	}
	p.DateAddedFirst, p.DateAddedLast = h.Get("X-TAXII-Date-Added-First"), h.Get("X-TAXII-Date-Added-Last")
	if p.More && p.Next == "" && p.DateAddedLast == "" {
		return p, fmt.Errorf("%s: the server says there is more but gives neither a next token nor X-TAXII-Date-Added-Last", redact(u))
	}
	return p, nil
}

// ErrNoCollection is returned when no API root holds the collection.
var ErrNoCollection = errors.New("no API root of the server holds the collection")

// Resolve finds the API root of a collection from a URL that is either a
// server's discovery URL or an API root: for a discovery document it looks
// in each API root (the default first) for the collection.
func (c *Client) Resolve(ctx context.Context, u, collection string) (string, Collection, error) {
	var doc map[string]json.RawMessage
	if _, err := c.get(ctx, withSlash(u), &doc); err != nil {
		return "", Collection{}, err
	}
	roots := []string{withSlash(u)}
	if raw, ok := doc["api_roots"]; ok {
		var d Discovery
		if err := json.Unmarshal(raw, &d.APIRoots); err != nil {
			return "", Collection{}, fmt.Errorf("%s: api_roots: %w", redact(u), err)
		}
		if def, ok := doc["default"]; ok {
			json.Unmarshal(def, &d.Default)
		}
		roots = nil
		if d.Default != "" {
			roots = append(roots, d.Default)
		}
		for _, r := range d.APIRoots {
			if r != d.Default {
				roots = append(roots, r)
			}
		}
	}
	base, err := url.Parse(withSlash(u))
	if err != nil {
		return "", Collection{}, err
	}
	var errs []error
	for _, r := range roots {
		ru, err := base.Parse(r) // API roots may be relative
		if err != nil {
			errs = append(errs, fmt.Errorf("API root %q: %w", r, err))
			continue
		}
		root := withSlash(ru.String())
		cols, err := c.Collections(ctx, root)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, col := range cols {
			if col.ID == collection {
				if !col.CanRead {
					return root, col, fmt.Errorf("collection %s at %s cannot be read", collection, redact(root))
				}
				return root, col, nil
			}
		}
	}
	if len(errs) > 0 {
		return "", Collection{}, fmt.Errorf("collection %s: %w (%w)", collection, ErrNoCollection, errors.Join(errs...))
	}
	return "", Collection{}, fmt.Errorf("collection %s: %w", collection, ErrNoCollection)
}
