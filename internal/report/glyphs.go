package report

import (
	"encoding/json"
	"sync"
	"unicode"

	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
)

// ScriptNote is what the PDF cover says when the report quotes text in a
// script the embedded Go fonts cannot draw (CJK, Arabic, Hebrew, Indic…):
// those characters show as empty boxes in the PDF (its text still holds
// them, for search and copy), while the HTML and Markdown show them.
const ScriptNote = "Some names or titles in this report use a script the PDF's embedded font cannot draw (shown as empty boxes here); the HTML and Markdown forms of the report show them."

var (
	goFontOnce sync.Once
	goFont     *sfnt.Font
)

// undrawable reports whether the JSON form of v holds a letter the Go font
// has no glyph for.
func undrawable(v any) bool {
	b, err := json.Marshal(v)
	if err != nil {
		return false
	}
	goFontOnce.Do(func() { goFont, _ = sfnt.Parse(goregular.TTF) })
	if goFont == nil {
		return false
	}
	var buf sfnt.Buffer
	seen := map[rune]bool{}
	for _, r := range string(b) {
		if r < 0x250 || seen[r] || !(unicode.IsLetter(r) || unicode.IsNumber(r)) {
			continue // Latin and what is no letter (punctuation, symbols) are not names
		}
		seen[r] = true
		if i, err := goFont.GlyphIndex(&buf, r); err != nil || i == 0 {
			return true
		}
	}
	return false
}
