package web

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/metrics"
)

// ruleSorts are the orders rule quality can be sorted in: a column's key
// and how it compares (cmp.Compare puts NaN, no data, below every number);
// each sorts largest first unless asked otherwise.
var ruleSorts = map[string]func(a, b *metrics.RuleResult) int{
	"false_positives": func(a, b *metrics.RuleResult) int { return cmp.Compare(a.FalsePositives, b.FalsePositives) },
	"alerts":          func(a, b *metrics.RuleResult) int { return cmp.Compare(a.Alerts, b.Alerts) },
	"fp_rate":         func(a, b *metrics.RuleResult) int { return cmp.Compare(judgedRate(a), judgedRate(b)) },
	"judged":          func(a, b *metrics.RuleResult) int { return cmp.Compare(a.Judged, b.Judged) },
	"conversion":      func(a, b *metrics.RuleResult) int { return cmp.Compare(nan(a.ConversionRate), nan(b.ConversionRate)) },
	"cases":           func(a, b *metrics.RuleResult) int { return cmp.Compare(a.Cases, b.Cases) },
	"analyst_hours":   func(a, b *metrics.RuleResult) int { return cmp.Compare(nan(a.AnalystHours), nan(b.AnalystHours)) },
	"elapsed_hours":   func(a, b *metrics.RuleResult) int { return cmp.Compare(nan(a.ElapsedHours), nan(b.ElapsedHours)) },
	"mttd":            func(a, b *metrics.RuleResult) int { return cmp.Compare(ruleMTTD(a), ruleMTTD(b)) },
	"rule":            func(a, b *metrics.RuleResult) int { return strings.Compare(ruleLabel(a), ruleLabel(b)) },
}

// ruleSortNames lists the sort keys for error messages and the API
// document.
func ruleSortNames() []string {
	out := make([]string, 0, len(ruleSorts))
	for k := range ruleSorts {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// judgedRate is the false-positive rate, NaN when no alert was judged.
func judgedRate(r *metrics.RuleResult) float64 { return nan(r.FalsePositiveRate) }

// ruleMTTD is the rule's median time to detect, NaN without a sample.
func ruleMTTD(r *metrics.RuleResult) float64 { return nan(r.MTTD.Median) }

func ruleLabel(r *metrics.RuleResult) string {
	if r.RuleName != "" {
		return strings.ToLower(r.RuleName)
	}
	return strings.ToLower(r.RuleID)
}

// sortRules orders rules by key, descending unless asc; ties keep the
// engine's order (most false positives first).
func sortRules(rules []metrics.RuleResult, key string, asc bool) {
	cmp := ruleSorts[key]
	sort.SliceStable(rules, func(i, j int) bool {
		c := cmp(&rules[i], &rules[j])
		if asc {
			return c < 0
		}
		return c > 0
	})
}

// RulesResponse is a page of rule quality: the report with the rules of
// the page, how many rules there are, and where the page starts.
type RulesResponse struct {
	*metrics.RuleReport
	TotalRules int    `json:"total_rules"`
	Offset     int    `json:"offset"`
	Sort       string `json:"sort"`
}

// rulesQuery reads the rule quality parameters: sort key and direction,
// offset and limit.
type rulesQuery struct {
	sort          string
	asc           bool
	offset, limit int
}

func parseRulesQuery(q url.Values, defLimit int) (rulesQuery, error) {
	rq := rulesQuery{sort: "false_positives"}
	if v := q.Get("sort"); v != "" {
		if ruleSorts[v] == nil {
			return rq, badRequest{fmt.Errorf("sort: want one of %s", strings.Join(ruleSortNames(), ", "))}
		}
		rq.sort = v
	}
	switch q.Get("dir") {
	case "", "desc":
		rq.asc = rq.sort == "rule" && q.Get("dir") == ""
	case "asc":
		rq.asc = true
	default:
		return rq, badRequest{fmt.Errorf("dir: want asc or desc")}
	}
	var err error
	if rq.offset, err = intParam(q, "offset", 0, 1<<30); err != nil {
		return rq, err
	}
	if rq.limit, err = intParam(q, "limit", defLimit, 1000); err != nil {
		return rq, err
	}
	return rq, nil
}

// rules computes rule quality for the window, sorted and cut to a page.
func (s *Server) rules(ctx context.Context, q url.Values, defLimit int) (*RulesResponse, rulesQuery, error) {
	win, _, err := s.window(ctx, q)
	if err != nil {
		return nil, rulesQuery{}, badRequest{err}
	}
	rq, err := parseRulesQuery(q, defLimit)
	if err != nil {
		return nil, rq, err
	}
	rep, err := s.svc.Rules(ctx, metrics.RulesQuery{WindowQuery: metrics.WindowQuery{From: win.From.Format(time.DateOnly),
		To: win.To.AddDate(0, 0, -1).Format(time.DateOnly)}})
	if err != nil {
		return nil, rq, err
	}
	resp := &RulesResponse{RuleReport: rep, TotalRules: len(rep.Rules), Offset: rq.offset, Sort: rq.sort}
	sortRules(rep.Rules, rq.sort, rq.asc)
	lo := min(rq.offset, len(rep.Rules))
	hi := min(lo+rq.limit, len(rep.Rules))
	rep.Rules = rep.Rules[lo:hi]
	if rep.Rules == nil {
		rep.Rules = []metrics.RuleResult{}
	}
	return resp, rq, nil
}

func (s *Server) apiRules(w http.ResponseWriter, r *http.Request) {
	s.cachedJSON(w, r, "computing rule quality", func(ctx context.Context) (any, error) {
		rep, _, err := s.rules(ctx, r.URL.Query(), 50)
		return rep, err
	})
}

// rulesPageSize is how many rules the page shows at once.
const rulesPageSize = 25

// ruleRow is one rule as the page shows it.
type ruleRow struct {
	Rule, RuleID, Source                   string
	Alerts, FalsePositives, FPRate, Judged string
	Conversion, Cases, AnalystHours, MTTD  string
	ElapsedHours                           string
	Undecided                              string
}

// ruleColumn is a sortable column header.
type ruleColumn struct {
	Key, Label, Title string
	Num               bool
	Href              string
	Sort              string // "ascending", "descending" or ""
}

func (s *Server) rulesPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("timeframe") == "" {
		q.Set("timeframe", "monthly")
	}
	page, err := intParam(q, "page", 1, 1<<20)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	page = max(page, 1)
	q.Set("offset", strconv.Itoa((page-1)*rulesPageSize))
	q.Set("limit", strconv.Itoa(rulesPageSize))
	rep, rq, err := s.rules(r.Context(), q, rulesPageSize)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v := s.newView(w, r, "rules", "Rule quality")
	v.q.Set("timeframe", q.Get("timeframe"))
	var rows []ruleRow
	for i := range rep.Rules {
		rr := &rep.Rules[i]
		row := ruleRow{Rule: rr.RuleName, RuleID: rr.RuleID, Source: rr.Source, Alerts: thousands(rr.Alerts),
			FalsePositives: thousands(rr.FalsePositives), FPRate: percent(judgedRate(rr)), Judged: thousands(rr.Judged),
			Conversion: percent(nan(rr.ConversionRate)), Cases: thousands(rr.Cases), AnalystHours: decimal(nan(rr.AnalystHours), 1),
			ElapsedHours: decimal(nan(rr.ElapsedHours), 1), MTTD: kpiRow(rr.MTTD).Median}
		if row.Rule == "" {
			row.Rule = rr.RuleID
		}
		if row.Rule == "" {
			row.Rule = "(alerts without a rule id)"
		}
		if rr.Alerts == 0 {
			row.Conversion = noData
		}
		rows = append(rows, row)
	}
	cols := []ruleColumn{
		{Key: "rule", Label: "Rule"},
		{Key: "alerts", Label: "Alerts", Num: true},
		{Key: "false_positives", Label: "False positives", Num: true},
		{Key: "fp_rate", Label: "FP rate", Num: true, Title: rep.Definition},
		{Key: "judged", Label: "Judged", Num: true, Title: "alerts closed as true positive, benign true positive or false positive"},
		{Key: "conversion", Label: "Became a case", Num: true, Title: "alerts linked to a case ÷ alerts"},
		{Key: "cases", Label: "Cases", Num: true},
		{Key: "analyst_hours", Label: "Analyst-hours", Num: true, Title: rep.HoursDef},
		{Key: "elapsed_hours", Label: "Elapsed hours", Num: true, Title: rep.ElapsedDef},
		{Key: "mttd", Label: "Time to detect (median)", Num: true, Title: "alert occurred_at → created_at"},
	}
	for i := range cols {
		c := &cols[i]
		dir := ""
		if c.Key == rq.sort {
			c.Sort = "descending"
			if rq.asc {
				c.Sort = "ascending"
			}
			// A second click on the sorted column turns the order round.
			if rq.asc {
				dir = "desc"
			} else {
				dir = "asc"
			}
		}
		c.Href = v.URL("sort", c.Key, "dir", dir)
	}
	d := struct {
		R          *RulesResponse
		Rows       []ruleRow
		Columns    []ruleColumn
		Timeframe  string
		First      int
		Last       int
		Prev, Next string
	}{R: rep, Rows: rows, Columns: cols, Timeframe: q.Get("timeframe"), First: rq.offset + 1, Last: rq.offset + len(rows)}
	if page > 1 {
		d.Prev = v.PageURL("page", strconv.Itoa(page-1))
	}
	if d.Last < rep.TotalRules {
		d.Next = v.PageURL("page", strconv.Itoa(page+1))
	}
	v.Data = d
	s.render(w, http.StatusOK, "rules", v)
}
