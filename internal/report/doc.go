// Package report assembles Watchfloor's reports for senior management from
// the services that own each number: the executive summary reads the KPIs,
// SLA adherence, alert volume and false-positive rate from the one report
// service (package metrics), the live backlog and the breaches in flight
// from its dashboard, major incidents from package crisis, the threat
// landscape from package intel, and staffing and budget from packages
// staffing and budget. It computes no KPI of its own: every figure in an
// Executive is the figure the CLI, API and MCP show for the same window,
// and each says where. What it adds is the comparison (previous period,
// configured targets, published industry figures), the recommendations
// derived from those figures, and the renderers: Markdown, self-contained
// HTML with inline SVG charts, and PDF.
//
// The shift handover (ShiftHandover) and the weekly operations review
// (Operations) read the same services and lay themselves out as a
// Document, which the shared Markdown, HTML and PDF renderers write.
//
// A section whose data is absent says so in one line (Section.Absent)
// instead of showing zeros.
package report
