package report

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// Formats are the formats a report renders to.
var Formats = []string{"md", "html", "pdf", "json"}

// FormatOf is the format a file name's extension implies ("" when none).
func FormatOf(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".md", ".markdown":
		return "md"
	case ".json":
		return "json"
	case ".html", ".htm":
		return "html"
	case ".pdf":
		return "pdf"
	}
	return ""
}

// ContentType is a format's media type.
func ContentType(format string) string {
	switch format {
	case "md":
		return "text/markdown; charset=utf-8"
	case "json":
		return "application/json"
	case "html":
		return "text/html; charset=utf-8"
	case "pdf":
		return "application/pdf"
	}
	return "application/octet-stream"
}

// Render writes the report in a format: md (Markdown) or json (the data,
// every figure with its source).
func (e *Executive) Render(w io.Writer, format string) error {
	switch format {
	case "md", "markdown":
		return e.Markdown(w)
	case "html":
		return e.HTML(w)
	case "pdf":
		return e.PDF(w)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(e)
	}
	return fmt.Errorf("report format %q: want one of %s", format, strings.Join(Formats, ", "))
}
