package web

import (
	"encoding/json"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/watchfloor/watchfloor/internal/auth"
)

// TestOpenAPIMatchesRoutes walks the router's API routes and the
// document's operations and checks that they are the same set, with the
// same required permission, and that every path parameter is declared.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	f := newFixture(t)
	var doc struct {
		OpenAPI string `json:"openapi"`
		Paths   map[string]map[string]struct {
			Permission string `json:"x-required-permission"`
			Parameters []struct {
				Name string `json:"name"`
				In   string `json:"in"`
			} `json:"parameters"`
			Responses map[string]any `json:"responses"`
		} `json:"paths"`
	}
	getJSON(t, f, "/openapi.json", "", &doc)
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	documented := map[string]string{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			key := strings.ToUpper(method) + " " + path
			documented[key] = op.Permission
			if len(op.Responses) == 0 {
				t.Errorf("%s has no responses", key)
			}
			for _, w := range regexp.MustCompile(`\{(\w+)\}`).FindAllStringSubmatch(path, -1) {
				found := false
				for _, p := range op.Parameters {
					found = found || (p.In == "path" && p.Name == w[1])
				}
				if !found {
					t.Errorf("%s does not declare path parameter %s", key, w[1])
				}
			}
		}
	}
	routed := map[string]auth.Permission{}
	for _, rt := range f.srv.Routes() {
		if rt.API {
			routed[rt.Method+" "+rt.Pattern] = rt.Perm
		}
	}
	var missing, extra []string
	for k, perm := range routed {
		docPerm, ok := documented[k]
		if !ok {
			missing = append(missing, k)
			continue
		}
		if docPerm != string(perm) {
			t.Errorf("%s: document requires %q, router %q", k, docPerm, perm)
		}
	}
	for k := range documented {
		if _, ok := routed[k]; !ok {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 || len(extra) > 0 {
		t.Errorf("routes not documented: %v\ndocumented paths without a route: %v", missing, extra)
	}
	if len(routed) != 64 {
		t.Errorf("%d API routes, want 64", len(routed))
	}
}

// TestOpenAPIEnums: the embedded document's group_by and timeframe enums
// are the report service's lists (the served document is generated from
// them; the file must say the same to a reader).
func TestOpenAPIEnums(t *testing.T) {
	b, err := assets.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name   string `json:"name"`
				Schema struct {
					Enum []string `json:"enum"`
				} `json:"schema"`
			} `json:"parameters"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	want := ReportEnums()
	seen := map[string]int{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			for _, p := range op.Parameters {
				if vals, ok := want[p.Name]; ok {
					seen[p.Name]++
					if !slices.Equal(p.Schema.Enum, vals) {
						t.Errorf("%s %s %s: enum %v, the report service takes %v", method, path, p.Name, p.Schema.Enum, vals)
					}
				}
			}
		}
	}
	if seen["group_by"] != 1 || seen["timeframe"] < 2 {
		t.Errorf("enum parameters found: %v", seen)
	}
	served, err := OpenAPIDocument()
	if err != nil || !strings.Contains(string(served), `"rule"`) {
		t.Errorf("served document: %v", err)
	}
}
