package metrics

import "github.com/watchfloor/watchfloor/internal/runbook"

// RuleVolumes lists each rule's alerts in the report's window (rules of
// several sources with one id are added up), for the runbook program's
// coverage of rules.
func (r *RuleReport) RuleVolumes() []runbook.RuleInfo {
	var out []runbook.RuleInfo
	idx := map[string]int{}
	for _, rr := range r.Rules {
		if i, ok := idx[rr.RuleID]; ok {
			out[i].Alerts += rr.Alerts
			continue
		}
		idx[rr.RuleID] = len(out)
		out = append(out, runbook.RuleInfo{ID: rr.RuleID, Name: rr.RuleName, Alerts: rr.Alerts})
	}
	return out
}
