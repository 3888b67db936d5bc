package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"

	"github.com/watchfloor/watchfloor/internal/metrics"
)

// The OpenAPI document is served with its enums generated from the report
// service's lists (group_by, timeframe), so the API, the CLI and the MCP
// tools accept the same values; TestOpenAPIEnums keeps the embedded file in
// step.
var (
	openAPIOnce sync.Once
	openAPIDoc  []byte
	openAPIErr  error
)

// ReportEnums are the enums the report parameters take, by parameter name.
func ReportEnums() map[string][]string {
	return map[string][]string{"group_by": metrics.GroupBys, "timeframe": metrics.TimeframeNames()}
}

// OpenAPIDocument returns the served OpenAPI document.
func OpenAPIDocument() ([]byte, error) {
	openAPIOnce.Do(func() {
		b, err := assets.ReadFile("openapi.json")
		if err != nil {
			openAPIErr = err
			return
		}
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			openAPIErr = fmt.Errorf("reading openapi.json: %w", err)
			return
		}
		enums := ReportEnums()
		paths, _ := doc["paths"].(map[string]any)
		for _, ops := range paths {
			ops, _ := ops.(map[string]any)
			for _, op := range ops {
				op, _ := op.(map[string]any)
				params, _ := op["parameters"].([]any)
				for _, p := range params {
					p, _ := p.(map[string]any)
					name, _ := p["name"].(string)
					if vals, ok := enums[name]; ok {
						if sch, ok := p["schema"].(map[string]any); ok {
							sch["enum"] = vals
						}
					}
				}
			}
		}
		openAPIDoc, openAPIErr = json.MarshalIndent(doc, "", "  ")
	})
	return openAPIDoc, openAPIErr
}

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) {
	b, err := OpenAPIDocument()
	if err != nil {
		s.fail(w, "serving the OpenAPI document", err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}
