package report

import (
	"html/template"
	"io"
)

// htmlTemplate is the self-contained HTML report: inline CSS, inline SVG
// charts, no script, no external resource. html/template escapes every
// string from the data; the charts are built with every label escaped.
var htmlTemplate = template.Must(template.New("executive").Funcs(template.FuncMap{
	"svg":        func(c Chart) template.HTML { return template.HTML(c.SVG()) }, // built from escaped parts
	"tbl":        func(cols []string, rows [][]string) htmlTable { return htmlTable{cols, rows} },
	"breachRows": BreachRows,
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>{{.E.Title}} {{.E.From}} to {{.E.To}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:#1b1f24;background:#fff;margin:0 auto;max-width:1280px;padding:24px;line-height:1.45}
h1{font-size:1.7em;margin:0 0 .2em}h2{font-size:1.25em;border-bottom:2px solid #d0d7de;padding-bottom:.2em;margin-top:1.6em}
.meta{color:#57606a;font-size:.9em;margin:.2em 0}.empty{background:#fff8c5;border-left:4px solid #d4a72c;padding:.6em 1em}
table{border-collapse:collapse;width:100%;margin:.6em 0 1em;font-size:.92em}th,td{border:1px solid #d0d7de;padding:.35em .55em;text-align:left;vertical-align:top;overflow-wrap:break-word}
th{background:#f6f8fa}td.num{text-align:right;white-space:nowrap}.miss{color:#b42318;font-weight:600}.meet{color:#1a7f37}
ol.recs li{margin-bottom:.7em}.ev{color:#57606a;font-size:.9em}.absent{color:#57606a;font-style:italic}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:12px}
svg.chart{width:100%;height:auto;border:1px solid #d0d7de;border-radius:6px;background:#fff}
svg .ct{font-size:14px;font-weight:600;fill:#1b1f24}svg .ax{font-size:11px;fill:#57606a}svg .nd{font-size:14px;fill:#57606a}
svg .grid{stroke:#eaeef2;stroke-width:1}svg .goal{stroke:#b42318;stroke-dasharray:5 4;stroke-width:1.5}
footer{margin-top:2em;color:#57606a;font-size:.85em}
@media print{body{max-width:none;padding:0}h2{break-after:avoid}table,svg{break-inside:avoid}}
</style>
</head>
<body>
<header>
<h1>{{.E.Title}}</h1>
<p class="meta"><strong>Period:</strong> {{.E.WindowLine}}</p>
{{range .E.BasisLines}}<p class="meta">{{.}}</p>
{{end}}</header>
{{if .E.Empty}}<p class="empty">{{.EmptyLine}}</p>{{end}}

<h2>Headline figures</h2>
<table><thead><tr>{{range .HeadlineColumns}}<th>{{.}}</th>{{end}}</tr></thead><tbody>
{{range $i, $r := .E.HeadlineRows}}<tr>{{range $j, $c := $r}}{{if eq $j 4}}<td class="{{index $.Status $i}}">{{$c}}</td>{{else if and (ge $j 1) (le $j 3)}}<td class="num">{{$c}}</td>{{else}}<td>{{$c}}</td>{{end}}{{end}}</tr>
{{end}}</tbody></table>

<h2>Industry context</h2>
{{if .E.Industry.Absent}}<p class="absent">{{.E.Industry.Absent}}</p>{{else}}<p>{{.E.IndustryLine}}</p>{{template "table" (tbl .IndustryColumns .E.IndustryRows)}}
<ul class="ev">{{range .E.IndustryNotes}}<li>{{.}}</li>{{end}}</ul>{{end}}

<h2>Recommendations</h2>
{{if .E.Recommendations}}<ol class="recs">{{range .E.Recommendations}}<li><strong>{{.Title}}.</strong> {{.Text}}<br><span class="ev">Evidence: {{range $i, $e := .Evidence}}{{if $i}}; {{end}}{{$e}}{{end}}.</span></li>
{{end}}</ol>{{else}}<p class="absent">{{.NoRecommendation}}</p>{{end}}

<h2>Trends</h2>
{{if .Charts}}<div class="charts">{{range .Charts}}{{svg .}}{{end}}</div>
<p class="meta">* a period the data covers only in part.</p>
<table><thead><tr>{{range .TrendColumns}}<th>{{.}}</th>{{end}}</tr></thead><tbody>
{{range .E.TrendRows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</tbody></table>
{{else}}<p class="absent">No trend data.</p>{{end}}

<h2>Noisiest detection rules</h2>
{{if .E.NoisyRules}}{{template "table" (tbl .NoisyColumns .E.NoisyRows)}}{{else}}<p class="absent">{{.NoNoisyRules}}</p>{{end}}

<h2>SLA breaches and their causes</h2>
{{if .E.SLA.Absent}}<p class="absent">{{.E.SLA.Absent}}</p>{{else}}
<ul>{{range .E.SLALines}}<li>{{.}}</li>{{end}}</ul>
{{if .E.SLA.ByPriority}}<p>Breaches by priority (cases created in the period):</p>{{template "table" (tbl .BreachColumns (breachRows .E.SLA.ByPriority))}}{{end}}
{{if .E.SLA.ByTeam}}<p>Breaches by team:</p>{{template "table" (tbl .BreachColumns (breachRows .E.SLA.ByTeam))}}{{end}}
{{if .E.SLA.MostOverdue}}<p>Most overdue open cases now:</p>{{template "table" (tbl .OverdueColumns .E.OverdueRows)}}{{end}}
{{end}}

<h2>Major incidents</h2>
{{if .E.Incidents.Absent}}<p class="absent">{{.E.Incidents.Absent}}</p>{{else}}<p>{{.E.IncidentLine}}</p>{{template "table" (tbl .IncidentColumns .E.IncidentRows)}}{{end}}

<h2>Threat landscape</h2>
{{if .E.Threats.Absent}}<p class="absent">{{.E.Threats.Absent}}</p>{{else}}<p>{{.E.ThreatLine}}</p>
{{if .E.Threats.Profiles}}{{template "table" (tbl .ProfileColumns .E.ProfileRows)}}{{end}}
{{if .E.Threats.Matches}}{{template "table" (tbl .MatchColumns .E.MatchRows)}}{{end}}{{end}}

<h2>Detection coverage</h2>
{{if .E.Coverage.Absent}}<p class="absent">{{.E.Coverage.Absent}}</p>{{else}}<p>{{.E.CoverageLine}}</p>{{template "table" (tbl .TacticColumns .E.TacticRows)}}{{end}}

<h2>Posture</h2>
{{if .E.Posture.Absent}}<p class="absent">{{.E.Posture.Absent}}</p>{{else}}<ul>{{range .E.PostureLines}}<li>{{.}}</li>{{end}}</ul>
{{if .E.Posture.MTTR}}{{template "table" (tbl .PostureMTTRColumns .E.PostureMTTRRows)}}{{end}}
{{if .E.Posture.Overdue}}<p>Most overdue open findings:</p>{{template "table" (tbl .PostureOverdueColumns .E.PostureOverdueRows)}}{{end}}{{end}}

<h2>Staffing and capacity</h2>
{{if .E.Staffing.Absent}}<p class="absent">{{.E.Staffing.Absent}}</p>{{else}}<ul>{{range .E.StaffingLines}}<li>{{.}}</li>{{end}}</ul>{{template "table" (tbl .QueueColumns .E.QueueRows)}}{{end}}

<h2>Budget</h2>
{{if .E.Budget.Absent}}<p class="absent">{{.E.Budget.Absent}}</p>{{else}}<p>{{.E.BudgetLine}}</p>{{template "table" (tbl .BudgetColumns .E.BudgetRows)}}
<ul>{{range .E.Budget.Sources}}<li>Source: {{.}}</li>{{end}}{{range .E.Budget.Notes}}<li>Note: {{.}}</li>{{end}}</ul>{{end}}

<h2>Definitions</h2>
<ul>{{range .E.Definitions}}<li>{{.}}</li>{{end}}</ul>
<footer>Every figure is the one Watchfloor's metrics engine gives for the same window; each headline figure's source command is in the report's JSON data.</footer>
</body>
</html>
{{define "table"}}<table><thead><tr>{{range .Cols}}<th>{{.}}</th>{{end}}</tr></thead><tbody>{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</tbody></table>{{end}}`))

// htmlTable is a table for the template.
type htmlTable struct {
	Cols []string
	Rows [][]string
}

// HTML writes the report as one self-contained HTML page.
func (e *Executive) HTML(w io.Writer) error {
	status := make([]string, len(e.Headline))
	for i, f := range e.Headline {
		switch f.Status() {
		case "meets target":
			status[i] = "meet"
		case "misses target":
			status[i] = "miss"
		}
	}
	return htmlTemplate.Execute(w, map[string]any{
		"E": e, "Charts": e.Charts(), "Status": status, "EmptyLine": EmptyLine, "NoRecommendation": NoRecommendation,
		"HeadlineColumns": HeadlineColumns, "TrendColumns": TrendColumns, "BreachColumns": BreachColumns, "OverdueColumns": OverdueColumns,
		"IncidentColumns": IncidentColumns, "ProfileColumns": ProfileColumns, "MatchColumns": MatchColumns, "QueueColumns": QueueColumns,
		"BudgetColumns": BudgetColumns, "NoisyColumns": NoisyColumns, "NoNoisyRules": NoNoisyRules, "TacticColumns": TacticColumns, "IndustryColumns": IndustryColumns,
		"PostureMTTRColumns": PostureMTTRColumns, "PostureOverdueColumns": PostureOverdueColumns,
	})
}
