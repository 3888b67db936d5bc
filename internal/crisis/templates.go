package crisis

import (
	"fmt"
	"strings"
	"text/template"
	"time"
)

// DefaultAudiences are the built-in audiences and their message templates.
// Templates are text/template over TemplateData and produce plain text;
// every channel escapes the result for its medium.
var DefaultAudiences = []Audience{
	{ID: "responders", Name: "Responders",
		Subject: `[{{.Severity}}] {{.Ref}} {{.Title}}: status update`,
		Body: `{{.Ref}} {{.Title}}
Severity {{.Severity}}{{with .SeverityName}} ({{.}}){{end}}, status {{.Status}}, declared {{time .DeclaredAt}}.
Incident commander: {{or .Commander "(vacant)"}}
{{with .Tactical}}
Conditions: {{.Conditions}}
Actions: {{.Actions}}
Needs: {{.Needs}}
{{end}}{{if .OpenTasks}}
Open tasks:
{{range .OpenTasks}}- T{{.ID}} {{.Title}}{{with .Owner}} ({{.}}){{end}}{{if not .Due.IsZero}}, due {{time .Due}}{{end}}
{{end}}{{end}}{{with .Note}}
{{.}}
{{end}}
Next update due {{time .NextUpdateDue}}.
`},
	{ID: "executives", Name: "Executives",
		Subject: `[{{.Severity}}] {{.Ref}}: executive update on {{.Title}}`,
		Body: `Executive update on major incident {{.Ref}}: {{.Title}}

Severity {{.Severity}}{{with .SeverityName}} ({{.}}){{end}}; status {{.Status}}; declared {{time .DeclaredAt}}; incident commander {{or .Commander "(vacant)"}}.
{{with .Executive}}
{{.Summary}}
{{else}}{{with .Tactical}}
Situation: {{.Conditions}}
What we are doing: {{.Actions}}
{{end}}{{end}}{{with .Tactical}}{{if .Needs}}
Decisions and support needed: {{.Needs}}
{{end}}{{end}}{{if .Clocks}}
Regulatory notification deadlines:
{{range .Clocks}}- {{.RegimeName}}{{if .Proposed}} (proposed rule){{end}}, {{.ReportName}}: {{clock .}}
{{end}}{{end}}{{with .Note}}
{{.}}
{{end}}
Next update by {{time .NextUpdateDue}}.
`},
	{ID: "legal", Name: "Legal and privacy",
		Subject: `[{{.Severity}}] {{.Ref}}: regulatory position on {{.Title}}`,
		Body: `Major incident {{.Ref}}: {{.Title}}
Severity {{.Severity}}, status {{.Status}}, declared {{time .DeclaredAt}}; incident commander {{or .Commander "(vacant)"}}.
{{if .Clocks}}
Regulatory clocks:
{{range .Clocks}}- {{.RegimeName}}{{if .Proposed}} (proposed rule){{end}}, {{.ReportName}}: {{clock .}}
{{end}}{{else}}
No regulatory regime is recorded on this incident yet.
{{end}}{{with .Tactical}}
Current conditions: {{.Conditions}}
{{end}}{{with .Note}}
{{.}}
{{end}}
Please confirm which notifications apply and who submits them.
`},
	{ID: "regulator", Name: "Regulators", External: true,
		Subject: `Incident notification {{.Ref}}`,
		Body: `Incident notification, reference {{.Ref}}.

Nature of the incident: {{.Title}}.
Detected {{time .DetectedAt}}; declared a major incident {{time .DeclaredAt}}; current status {{.Status}}.
{{with .Tactical}}
Current assessment: {{.Conditions}}
Measures taken: {{.Actions}}
{{end}}{{with .Note}}
{{.}}
{{end}}
Further information will follow in the subsequent reports. Contact: the incident commander, {{or .Commander "(vacant)"}}.
`},
	{ID: "customers", Name: "Customers", External: true,
		Subject: `Security incident notice`,
		Body: `We are responding to a security incident affecting our services, identified on {{date .DetectedAt}}.
Our security team is investigating and has taken steps to contain it. We will update you as we learn more.
{{with .Note}}
{{.}}
{{end}}
Reference: {{.Ref}}.
`},
	{ID: "media", Name: "Media", External: true,
		Subject: `Statement on a security incident`,
		Body: `Holding statement: we are investigating a security incident identified on {{date .DetectedAt}}. We have taken steps to contain it and are working with the relevant authorities where required. We will share more information when we can do so accurately.
{{with .Note}}
{{.}}
{{end}}`},
	{ID: "partners", Name: "Partners", External: true,
		Subject: `Security incident notice from our security operations ({{.Ref}})`,
		Body: `We are responding to a security incident ({{.Ref}}) identified on {{date .DetectedAt}}; current status {{.Status}}.
{{with .Tactical}}
What we are doing: {{.Actions}}
{{end}}{{with .Note}}
{{.}}
{{end}}
Please contact our incident commander, {{or .Commander "(vacant)"}}, with any related activity you observe.
`},
}

// TemplateData is what an audience template sees.
type TemplateData struct {
	Ref           string
	Title         string
	Severity      string
	SeverityName  string
	Status        Status
	DeclaredAt    time.Time
	DetectedAt    time.Time // the earliest creation of a linked case, else the declaration
	Commander     string
	Tactical      *Update // the latest tactical update
	Executive     *Update // the latest executive summary
	OpenTasks     []Task
	Clocks        []Clock
	NextUpdateDue time.Time
	Now           time.Time
	Note          string // the sender's extra text
}

var templateFuncs = template.FuncMap{
	"time": func(t time.Time) string {
		if t.IsZero() {
			return "(not known)"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"date": func(t time.Time) string {
		if t.IsZero() {
			return "(not known)"
		}
		return t.UTC().Format("2 January 2006")
	},
	"clock": clockLine,
}

// clockLine describes a clock in one line for messages.
func clockLine(c Clock) string {
	switch c.State {
	case ClockWaiting:
		return "not started (" + c.Note + ")"
	case ClockSubmitted:
		return "submitted " + c.SubmittedAt.Format("2006-01-02 15:04 UTC")
	case ClockLate:
		return "submitted late " + c.SubmittedAt.Format("2006-01-02 15:04 UTC")
	case ClockOverdue:
		return "OVERDUE since " + c.DueAt.Format("2006-01-02 15:04 UTC")
	}
	return "due " + c.DueAt.Format("2006-01-02 15:04 UTC")
}

func parseTemplates(a Audience) (*template.Template, *template.Template, error) {
	subj, err := template.New(a.ID + " subject").Funcs(templateFuncs).Option("missingkey=error").Parse(a.Subject)
	if err != nil {
		return nil, nil, fmt.Errorf("audience %s: subject template: %w", a.ID, err)
	}
	body, err := template.New(a.ID + " body").Funcs(templateFuncs).Option("missingkey=error").Parse(a.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("audience %s: body template: %w", a.ID, err)
	}
	return subj, body, nil
}

// checkTemplate parses an audience's templates and runs them on sample
// data, so a broken template fails at start-up, not mid-incident.
func checkTemplate(a Audience) error {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	u := &Update{Form: FormTactical, Conditions: "c", Actions: "a", Needs: "n"}
	_, _, err := renderAudience(a, TemplateData{Ref: "MI-1", Title: "t", Severity: "SEV1", Status: StatusActive, DeclaredAt: now,
		Tactical: u, Executive: &Update{Form: FormExecutive, Summary: "s"}, OpenTasks: []Task{{ID: 1, Title: "t", Due: now}},
		Clocks: []Clock{{RegimeName: "r", ReportName: "n", State: ClockRunning, DueAt: &now}}, NextUpdateDue: now, Now: now})
	return err
}

// renderAudience fills an audience's templates. The subject is one line.
func renderAudience(a Audience, d TemplateData) (subject, body string, err error) {
	st, bt, err := parseTemplates(a)
	if err != nil {
		return "", "", err
	}
	var sb, bb strings.Builder
	if err := st.Execute(&sb, d); err != nil {
		return "", "", fmt.Errorf("audience %s: subject template: %w", a.ID, err)
	}
	if err := bt.Execute(&bb, d); err != nil {
		return "", "", fmt.Errorf("audience %s: body template: %w", a.ID, err)
	}
	subject = strings.Join(strings.Fields(sb.String()), " ")
	return subject, strings.TrimSpace(bb.String()) + "\n", nil
}
