package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/watchfloor/watchfloor/internal/coverage"
	"github.com/watchfloor/watchfloor/internal/metrics"
	"github.com/watchfloor/watchfloor/internal/roadmap"
)

// Detection coverage and the SOC roadmap: GET /api/v1/coverage,
// /api/v1/coverage/layer, /api/v1/roadmap (developed, not saved), POST
// /api/v1/roadmap (developed and saved, audited), and the /strategy page.

func (s *Server) coverageQuery(q url.Values) (coverage.Query, error) {
	cq := coverage.Query{WindowQuery: windowQuery(q)}
	if v := q.Get("max_fp_rate"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 || f > 1 {
			return cq, badRequest{fmt.Errorf("max_fp_rate: want a number above 0 and at most 1")}
		}
		cq.MaxFPRate = f
	}
	return cq, nil
}

func (s *Server) coverage(ctx context.Context, q url.Values) (*coverage.Report, error) {
	cq, err := s.coverageQuery(q)
	if err != nil {
		return nil, err
	}
	rep, err := coverage.NewService(s.st, s.svc).Report(ctx, cq)
	if metrics.IsArgError(err) {
		return nil, badRequest{err}
	}
	return rep, err
}

func (s *Server) apiCoverage(w http.ResponseWriter, r *http.Request) {
	rep, err := s.coverage(r.Context(), r.URL.Query())
	s.answer(w, "computing coverage", rep, err)
}

func (s *Server) apiCoverageLayer(w http.ResponseWriter, r *http.Request) {
	rep, err := s.coverage(r.Context(), r.URL.Query())
	if err != nil {
		s.answer(w, "computing coverage", nil, err)
		return
	}
	w.Header().Set("Content-Disposition", `attachment; filename="watchfloor-coverage-layer.json"`)
	s.answer(w, "", coverage.LayerOf(rep, "Watchfloor coverage "+rep.Window), nil)
}

func (s *Server) roadmap(r *http.Request, save bool) (*roadmap.Roadmap, error) {
	q := r.URL.Query()
	h := 2
	if v := q.Get("horizon"); v != "" {
		var err error
		if h, err = roadmap.ParseHorizon(v); err != nil {
			return nil, badRequest{err}
		}
	}
	svc := &roadmap.Service{Store: s.st, Metrics: s.svc, Staffing: s.cfg.Staffing}
	rm, err := svc.Develop(r.Context(), roadmap.Query{Horizon: h, WindowQuery: windowQuery(q), Save: save})
	if metrics.IsArgError(err) {
		return nil, badRequest{err}
	}
	return rm, err
}

func (s *Server) apiRoadmap(w http.ResponseWriter, r *http.Request) {
	rm, err := s.roadmap(r, false)
	s.answer(w, "developing the roadmap", rm, err)
}

func (s *Server) apiSaveRoadmap(w http.ResponseWriter, r *http.Request) {
	rm, err := s.roadmap(r, true)
	if err == nil {
		info(r).target = fmt.Sprintf("roadmap:%d", rm.ID)
	}
	s.answer(w, "developing the roadmap", rm, err)
}

// strategyPage shows coverage by tactic and the roadmap, developed
// without saving.
func (s *Server) strategyPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("timeframe") == "" && q.Get("from") == "" {
		q.Set("timeframe", string(metrics.Quarterly))
		r.URL.RawQuery = q.Encode()
	}
	cov, err := s.coverage(r.Context(), q)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	rm, err := s.roadmap(r, false)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v := s.newView(w, r, "strategy", "Coverage and roadmap")
	v.q.Set("timeframe", q.Get("timeframe"))
	covered, total := 0, 0
	for _, t := range cov.Techniques {
		total++
		if t.Score > 0 {
			covered++
		}
	}
	v.Data = struct {
		C                *coverage.Report
		R                *roadmap.Roadmap
		Timeframe        string
		Covered, Total   int
		Scores           []string
		LayerURL, APIURL string
	}{cov, rm, q.Get("timeframe"), covered, total, coverage.Scores, href("/api/v1/coverage/layer", v.q), href("/api/v1/roadmap", v.q)}
	s.render(w, http.StatusOK, "strategy", v)
}

func init() {
	funcs["deref"] = func(v *float64) float64 {
		if v == nil {
			return 0
		}
		return *v
	}
}
