package report

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"unicode"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
)

// FallbackFontPaths are the TrueType fonts the PDF renderer draws
// characters the embedded Go fonts lack with (CJK names), in order, when
// the configuration names none (report.pdf_font): Debian's
// fonts-droid-fallback (Han, kana; no Hangul).
var FallbackFontPaths = []string{
	"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
}

// shapedScripts are the scripts whose letters join or are written right
// to left: fpdf draws glyphs one after another, left to right, without
// shaping, so a fallback font would draw these wrong; they stay undrawn.
var shapedScripts = []string{"Arabic", "Hebrew", "Syriac", "Thaana", "Nko", "Mandaic", "Adlam",
	"Devanagari", "Bengali", "Gurmukhi", "Gujarati", "Oriya", "Tamil", "Telugu", "Kannada", "Malayalam",
	"Sinhala", "Myanmar", "Khmer", "Tibetan", "Mongolian"}

// fallbackFont is a TrueType font read for the PDF renderer.
type fallbackFont struct {
	path string
	data []byte
	font *sfnt.Font
}

var (
	goFontOnce sync.Once
	goFont     *sfnt.Font

	fallbackMu     sync.Mutex
	fallbackPath   string // configured; "" for FallbackFontPaths
	fallbackLoaded = map[string]*fallbackFont{}
)

// readFallbackFont reads and checks a TrueType font for fpdf: glyf
// outlines (not CFF), one font (not a collection).
func readFallbackFont(path string) (*fallbackFont, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	fnt, err := sfnt.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: not a TrueType font (a .ttc collection or .otf CFF font cannot be embedded): %w", path, err)
	}
	f := fpdf.New("P", "mm", "A4", "")
	f.AddUTF8FontFromBytes("fallback", "", data)
	if err := f.Error(); err != nil {
		return nil, fmt.Errorf("%s: the PDF renderer cannot embed it (TrueType glyf outlines are needed): %w", path, err)
	}
	return &fallbackFont{path: path, data: data, font: fnt}, nil
}

// UsePDFFont makes the PDF renderer draw characters the Go fonts lack with
// the TrueType font at path ("" for the first of FallbackFontPaths found).
func UsePDFFont(path string) error {
	if path != "" {
		ff, err := readFallbackFont(path)
		if err != nil {
			return fmt.Errorf("report.pdf_font: %w", err)
		}
		fallbackMu.Lock()
		fallbackLoaded[path] = ff
		fallbackMu.Unlock()
	}
	fallbackMu.Lock()
	fallbackPath = path
	fallbackMu.Unlock()
	return nil
}

// currentFallback is the configured fallback font, else the first
// well-known one that loads; nil when there is none.
func currentFallback() *fallbackFont {
	fallbackMu.Lock()
	defer fallbackMu.Unlock()
	paths := FallbackFontPaths
	if fallbackPath != "" {
		paths = []string{fallbackPath}
	}
	for _, p := range paths {
		if ff, ok := fallbackLoaded[p]; ok {
			if ff != nil {
				return ff
			}
			continue
		}
		ff, err := readFallbackFont(p)
		if err != nil {
			ff = nil
		}
		fallbackLoaded[p] = ff
		if ff != nil {
			return ff
		}
	}
	return nil
}

// glyphs decides, per character, which font draws it.
type glyphs struct {
	fb  *fallbackFont
	buf sfnt.Buffer
	// use caches the choice per rune: 0 the Go font, 1 the fallback.
	use map[rune]byte
}

func newGlyphs(fb *fallbackFont) *glyphs {
	goFontOnce.Do(func() { goFont, _ = sfnt.Parse(goregular.TTF) })
	return &glyphs{fb: fb, use: map[rune]byte{}}
}

func has(f *sfnt.Font, buf *sfnt.Buffer, r rune) bool {
	if f == nil {
		return false
	}
	i, err := f.GlyphIndex(buf, r)
	return err == nil && i != 0
}

// fallback reports whether r is drawn with the fallback font: the Go font
// lacks it, the fallback has it and its script needs no shaping.
func (g *glyphs) fallback(r rune) bool {
	if r < 0x250 || g.fb == nil {
		return false
	}
	if u, ok := g.use[r]; ok {
		return u == 1
	}
	u := byte(0)
	if !has(goFont, &g.buf, r) && !slices.Contains(shapedScripts, scriptOf(r)) && has(g.fb.font, &g.buf, r) {
		u = 1
	}
	g.use[r] = u
	return u == 1
}

// drawable reports whether r shows as itself in the PDF.
func (g *glyphs) drawable(r rune) bool {
	return r < 0x250 || has(goFont, &g.buf, r) || g.fallback(r)
}

// scriptOf is the Unicode script of r ("" for none).
func scriptOf(r rune) string {
	for _, name := range scriptNames {
		if unicode.Is(unicode.Scripts[name], r) {
			return name
		}
	}
	return ""
}

var scriptNames = func() []string {
	var names []string
	for n := range unicode.Scripts {
		if n != "Common" && n != "Inherited" {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}()

// undrawnScripts are the scripts of the letters in the JSON form of v the
// PDF cannot draw with the Go fonts and the fallback font fb (nil for
// none), sorted.
func undrawnScripts(v any, fb *fallbackFont) []string {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	g := newGlyphs(fb)
	if goFont == nil {
		return nil
	}
	seen := map[rune]bool{}
	var out []string
	for _, r := range string(b) {
		if r < 0x250 || seen[r] || !(unicode.IsLetter(r) || unicode.IsNumber(r)) {
			continue // Latin and what is no letter (punctuation, symbols) are not names
		}
		seen[r] = true
		if !g.drawable(r) {
			if s := scriptOf(r); s != "" && !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	slices.Sort(out)
	return out
}

// needsFallback reports whether the JSON form of v holds a character
// drawn with the fallback font.
func needsFallback(v any, fb *fallbackFont) bool {
	if fb == nil {
		return false
	}
	b, err := json.Marshal(v)
	if err != nil {
		return false
	}
	g := newGlyphs(fb)
	for _, r := range string(b) {
		if g.fallback(r) {
			return true
		}
	}
	return false
}

// scriptNote is what the PDF cover says when the report quotes text in
// scripts the PDF cannot draw: those characters show as empty boxes (the
// PDF's text still holds them, for search and copy), while the HTML and
// Markdown show them. Scripts written right to left or with joined or
// reordered letters (Arabic, Hebrew, Indic) are never drawn, as the PDF
// renderer cannot shape them; others are drawn when the fallback font has
// them.
func scriptNote(scripts []string, fb *fallbackFont) string {
	var shaped, missing []string
	for _, s := range scripts {
		if slices.Contains(shapedScripts, s) {
			shaped = append(shaped, s)
		} else {
			missing = append(missing, s)
		}
	}
	var parts []string
	if len(shaped) > 0 {
		parts = append(parts, fmt.Sprintf("%s text is shown as empty boxes: the PDF renderer cannot join letters or lay out right-to-left and reordered scripts", strings.Join(shaped, ", ")))
	}
	if len(missing) > 0 {
		where := "no fallback font is installed (Debian: fonts-droid-fallback; or set report.pdf_font to a TrueType font)"
		if fb != nil {
			where = "neither the embedded Go fonts nor the fallback font " + fb.path + " have them"
		}
		parts = append(parts, fmt.Sprintf("%s characters are shown as empty boxes: %s", strings.Join(missing, ", "), where))
	}
	return "Some names or titles in this report cannot be drawn in the PDF. " + strings.Join(parts, "; ") + ". The HTML and Markdown forms of the report show them."
}
