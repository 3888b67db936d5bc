package taxii

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzClient serves fuzzed answers to the client: whatever a server sends,
// the client returns a page or an error, never panics, and never reports
// more without a way to go on.
func FuzzClient(f *testing.F) {
	f.Add(200, `{"more":false,"objects":[{"type":"indicator","id":"indicator--1"}]}`, "2024-01-01T00:00:00Z")
	f.Add(200, `{"more":true,"next":"2","objects":[]}`, "")
	f.Add(200, `{"more":true,"objects":[{}]}`, "")
	f.Add(500, `{"title":"boom"}`, "")
	f.Add(200, `<html>`, "")
	f.Add(200, `{"api_roots":["/api1/", "::bad"],"default":"/api1/"}`, "")
	f.Add(200, `{"collections":[{"id":"c","can_read":true}]}`, "")
	f.Fuzz(func(t *testing.T, status int, body, last string) {
		if status < 100 || status > 999 {
			status = 200
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if last != "" {
				w.Header().Set("X-TAXII-Date-Added-Last", last)
			}
			w.WriteHeader(status)
			w.Write([]byte(body))
		}))
		defer srv.Close()
		c := &Client{MaxBody: 1 << 16}
		ctx := context.Background()
		p, err := c.Objects(ctx, srv.URL+"/root/", "c", Query{AddedAfter: "2020-01-01T00:00:00Z"})
		if err == nil && p.More && p.Next == "" && p.DateAddedLast == "" {
			t.Errorf("page says more with no way on: %+v", p)
		}
		c.Resolve(ctx, srv.URL+"/taxii2/", "c")
		c.Discover(ctx, srv.URL)
	})
}
