package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/auth"
	"github.com/watchfloor/watchfloor/internal/cputime"
)

// BenchmarkPages renders each page of the demo fixture (21 days, 1,500
// alerts a day) as a signed-in manager would get it, through the whole
// handler chain, and reports wall and CPU milliseconds per page:
//
//	go test -run '^$' -bench Pages -benchtime 20x ./internal/web
func BenchmarkPages(b *testing.B) {
	f := newDemoFixture(b)
	for _, p := range []string{"/", "/?kiosk=1", "/performance", "/performance?group_by=analyst", "/sla", "/rules", "/cases",
		"/cases/test/AR1", "/staffing?simulate=false", "/budget"} {
		b.Run(p, func(b *testing.B) {
			cpu0 := cputime.Used()
			for b.Loop() {
				req := httptest.NewRequest("GET", p, nil)
				req.Header.Set("Authorization", "Bearer "+f.tokens[auth.Manager])
				rec := httptest.NewRecorder()
				f.srv.Handler().ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d", p, rec.Code)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
			b.ReportMetric(float64((cputime.Used()-cpu0)/time.Microsecond)/1000/float64(b.N), "cpu-ms/page")
		})
	}
}
