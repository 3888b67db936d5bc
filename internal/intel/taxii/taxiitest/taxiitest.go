// Package taxiitest serves TAXII 2.1 content for tests: a discovery
// document, API roots, collections and their objects, built from a
// medallion-style data file (such as the OASIS cti-taxii-server's
// default_data.json), with added_after filtering, limit/next paging,
// the X-TAXII-Date-Added headers, basic or bearer authentication and
// injectable failures.
package taxiitest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Data is the content of a medallion data file.
type Data struct {
	Discovery struct {
		Title    string   `json:"title"`
		Default  string   `json:"default"`
		APIRoots []string `json:"api_roots"`
	}
	Roots map[string]*Root
}

// Root is an API root with its collections.
type Root struct {
	Information json.RawMessage `json:"information"`
	Collections []*Collection   `json:"collections"`
}

// Collection is a collection with its objects and manifest.
type Collection struct {
	ID         string            `json:"id"`
	Title      string            `json:"title"`
	CanRead    bool              `json:"can_read"`
	CanWrite   bool              `json:"can_write"`
	MediaTypes []string          `json:"media_types"`
	Objects    []json.RawMessage `json:"objects"`
	Manifest   []ManifestEntry   `json:"manifest"`
}

// ManifestEntry records when a version of an object was added.
type ManifestEntry struct {
	ID        string `json:"id"`
	DateAdded string `json:"date_added"`
	Version   string `json:"version"`
}

// Parse reads a medallion data file: "/discovery" and one key per API root.
func Parse(b []byte) (*Data, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	d := &Data{Roots: map[string]*Root{}}
	for k, v := range raw {
		if k == "/discovery" {
			if err := json.Unmarshal(v, &d.Discovery); err != nil {
				return nil, fmt.Errorf("discovery: %w", err)
			}
			continue
		}
		r := &Root{}
		if err := json.Unmarshal(v, r); err != nil {
			return nil, fmt.Errorf("API root %s: %w", k, err)
		}
		d.Roots[k] = r
	}
	return d, nil
}

// Server is a running test TAXII server.
type Server struct {
	*httptest.Server
	Data *Data
	// Username and Password, or Token, when set, are required.
	Username, Password, Token string
	// PageSize is the page size when a request sets no limit (100 when 0).
	PageSize int
	// Fail, when set, may answer a request instead of the server: it
	// returns a status and a body, and true to use them.
	Fail func(r *http.Request) (int, string, bool)

	mu       sync.Mutex
	requests []string
}

// New starts a server for the data.
func New(d *Data) *Server {
	s := &Server{Data: d}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Requests returns the request URIs served so far.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

func (s *Server) json(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/taxii+json;version=2.1")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (s *Server) error(w http.ResponseWriter, status int, title string) {
	s.json(w, status, map[string]string{"title": title})
}

func (s *Server) authorized(r *http.Request) bool {
	switch {
	case s.Token != "":
		return r.Header.Get("Authorization") == "Bearer "+s.Token
	case s.Username != "":
		u, p, ok := r.BasicAuth()
		return ok && u == s.Username && p == s.Password
	}
	return true
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r.URL.RequestURI())
	s.mu.Unlock()
	if s.Fail != nil {
		if status, body, ok := s.Fail(r); ok {
			w.WriteHeader(status)
			w.Write([]byte(body))
			return
		}
	}
	if !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="taxii"`)
		s.error(w, http.StatusUnauthorized, "authentication required")
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case len(parts) == 1 && parts[0] == "taxii2":
		roots := make([]string, 0, len(s.Data.Roots))
		for name := range s.Data.Roots {
			roots = append(roots, s.URL+"/"+name+"/")
		}
		sort.Strings(roots)
		def := ""
		if i := strings.Index(strings.TrimSuffix(s.Data.Discovery.Default, "/"), "/"); i >= 0 {
			d := strings.TrimSuffix(s.Data.Discovery.Default, "/")
			def = s.URL + "/" + d[strings.LastIndex(d, "/")+1:] + "/"
		}
		s.json(w, 200, map[string]any{"title": s.Data.Discovery.Title, "default": def, "api_roots": roots})
	case len(parts) == 1 && s.Data.Roots[parts[0]] != nil:
		s.json(w, 200, s.Data.Roots[parts[0]].Information)
	case len(parts) == 2 && parts[1] == "collections" && s.Data.Roots[parts[0]] != nil:
		var cols []map[string]any
		for _, c := range s.Data.Roots[parts[0]].Collections {
			cols = append(cols, map[string]any{"id": c.ID, "title": c.Title, "can_read": c.CanRead, "can_write": c.CanWrite, "media_types": c.MediaTypes})
		}
		s.json(w, 200, map[string]any{"collections": cols})
	case len(parts) == 4 && parts[1] == "collections" && parts[3] == "objects" && s.Data.Roots[parts[0]] != nil:
		s.objects(w, r, s.Data.Roots[parts[0]], parts[2])
	default:
		s.error(w, http.StatusNotFound, "no such endpoint")
	}
}

// objects serves a collection's objects: the last version of each object
// added after added_after, in the order they were added, a page at a time.
func (s *Server) objects(w http.ResponseWriter, r *http.Request, root *Root, id string) {
	var col *Collection
	for _, c := range root.Collections {
		if c.ID == id {
			col = c
		}
	}
	if col == nil {
		s.error(w, http.StatusNotFound, "no such collection")
		return
	}
	if !col.CanRead {
		s.error(w, http.StatusForbidden, "the collection cannot be read")
		return
	}
	q := r.URL.Query()
	var after time.Time
	if v := q.Get("added_after"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			s.error(w, http.StatusBadRequest, "added_after is not a timestamp")
			return
		}
		after = t
	}
	last := map[string]ManifestEntry{}
	for _, m := range col.Manifest {
		t, _ := time.Parse(time.RFC3339Nano, m.DateAdded)
		if !t.After(after) {
			continue
		}
		if cur, ok := last[m.ID]; !ok || m.Version > cur.Version {
			last[m.ID] = m
		}
	}
	entries := make([]ManifestEntry, 0, len(last))
	for _, m := range last {
		entries = append(entries, m)
	}
	sort.Slice(entries, func(i, j int) bool {
		if entries[i].DateAdded != entries[j].DateAdded {
			return entries[i].DateAdded < entries[j].DateAdded
		}
		return entries[i].ID < entries[j].ID
	})
	limit := s.PageSize
	if limit <= 0 {
		limit = 100
	}
	if v, err := strconv.Atoi(q.Get("limit")); err == nil && v > 0 {
		limit = v
	}
	start := 0
	if v := q.Get("next"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > len(entries) {
			s.error(w, http.StatusBadRequest, "unknown next token")
			return
		}
		start = n
	}
	end := min(start+limit, len(entries))
	page := entries[start:end]
	objs := []json.RawMessage{}
	for _, m := range page {
		if o := find(col.Objects, m); o != nil {
			objs = append(objs, o)
		}
	}
	resp := map[string]any{"more": end < len(entries), "objects": objs}
	if end < len(entries) {
		resp["next"] = strconv.Itoa(end)
	}
	if len(page) > 0 {
		w.Header().Set("X-TAXII-Date-Added-First", page[0].DateAdded)
		w.Header().Set("X-TAXII-Date-Added-Last", page[len(page)-1].DateAdded)
	}
	s.json(w, 200, resp)
}

// find returns the object version a manifest entry names.
func find(objs []json.RawMessage, m ManifestEntry) json.RawMessage {
	want, _ := time.Parse(time.RFC3339Nano, m.Version)
	for _, o := range objs {
		var h struct {
			ID       string `json:"id"`
			Modified string `json:"modified"`
			Created  string `json:"created"`
		}
		json.Unmarshal(o, &h)
		v := h.Modified
		if v == "" {
			v = h.Created
		}
		t, _ := time.Parse(time.RFC3339Nano, v)
		if h.ID == m.ID && t.Equal(want) {
			return o
		}
	}
	return nil
}
