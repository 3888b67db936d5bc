package report

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"unicode"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
)

// FallbackFontPaths are the TrueType fonts the PDF renderer searches, in
// order and after the configured ones (report.pdf_font, report.pdf_fonts),
// for the characters the embedded Go fonts lack: each character is drawn
// with the first font of that chain whose character map has it. They are
// Debian's packages: fonts-lexi-gulim (Hangul, and no Han, so CJK text
// keeps one font per script), fonts-droid-fallback (Han, kana),
// fonts-nanum (Hangul), fonts-dejavu-core (Arabic presentation forms,
// Hebrew, Armenian, Georgian), fonts-lohit-deva (Devanagari) and the
// fonts-noto-core families for the same scripts. Missing files are
// skipped.
var FallbackFontPaths = []string{
	"/usr/share/fonts/truetype/lexi/LexiGulim.ttf",
	"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
	"/usr/share/fonts/truetype/nanum/NanumGothic.ttf",
	"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
	"/usr/share/fonts/truetype/lohit-devanagari/Lohit-Devanagari.ttf",
	"/usr/share/fonts/truetype/noto/NotoSansHebrew-Regular.ttf",
	"/usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf",
	"/usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf",
	"/usr/share/fonts/truetype/noto/NotoSansDevanagari-Regular.ttf",
}

// shapedScripts are the scripts whose letters join, or are reordered or
// combined, in ways the PDF renderer does not do (it draws each
// character's nominal glyph in turn, left to right): they stay undrawn.
// Arabic is shaped (shapeArabic), Hebrew and Arabic are reordered
// (visualOrder) and Devanagari approximated (reorderDevanagari), so they
// are drawn when a font of the chain has them.
var shapedScripts = []string{"Syriac", "Nko", "Mandaic", "Adlam",
	"Bengali", "Gurmukhi", "Gujarati", "Oriya", "Tamil", "Telugu", "Kannada", "Malayalam",
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

	fallbackMu         sync.Mutex
	fallbackConfigured []string                     // report.pdf_font and report.pdf_fonts, checked
	fallbackLoaded     = map[string]*fallbackFont{} // by path; nil when it does not load
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
// the TrueType font at path first, then with FallbackFontPaths ("" for
// those alone).
func UsePDFFont(path string) error {
	if path == "" {
		return useFonts(nil, nil)
	}
	return useFonts([]string{path}, []string{"report.pdf_font"})
}

// UsePDFFonts makes the PDF renderer draw each character the Go fonts
// lack with the first of the TrueType fonts at paths, then of
// FallbackFontPaths, that has it. Each font is read and checked first.
func UsePDFFonts(paths ...string) error {
	names := make([]string, len(paths))
	for i := range paths {
		names[i] = fmt.Sprintf("report.pdf_fonts[%d]", i)
	}
	return useFonts(paths, names)
}

// useFonts reads and checks the fonts at paths, an error naming the
// setting names[i] that gave the font, and makes them the configured
// head of the chain.
func useFonts(paths, names []string) error {
	read := map[string]*fallbackFont{}
	for i, p := range paths {
		ff, err := readFallbackFont(p)
		if err != nil {
			return fmt.Errorf("%s: %w", names[i], err)
		}
		read[p] = ff
	}
	fallbackMu.Lock()
	defer fallbackMu.Unlock()
	maps.Copy(fallbackLoaded, read)
	fallbackConfigured = slices.Clone(paths)
	return nil
}

// currentChain is the fallback font chain: the configured fonts, then
// the well-known ones that load, each once.
func currentChain() []*fallbackFont {
	fallbackMu.Lock()
	defer fallbackMu.Unlock()
	var chain []*fallbackFont
	for _, p := range slices.Concat(fallbackConfigured, FallbackFontPaths) {
		if slices.ContainsFunc(chain, func(f *fallbackFont) bool { return f.path == p }) {
			continue
		}
		ff, ok := fallbackLoaded[p]
		if !ok {
			ff, _ = readFallbackFont(p) // a well-known font that is missing or broken is skipped
			fallbackLoaded[p] = ff
		}
		if ff != nil {
			chain = append(chain, ff)
		}
	}
	return chain
}

// glyphs decides, per character, which font draws it.
type glyphs struct {
	chain []*fallbackFont
	buf   sfnt.Buffer
	// use caches the choice per rune: 0 the Go font, i+1 chain[i].
	use map[rune]int
}

func newGlyphs(chain []*fallbackFont) *glyphs {
	goFontOnce.Do(func() { goFont, _ = sfnt.Parse(goregular.TTF) })
	return &glyphs{chain: chain, use: map[rune]int{}}
}

func has(f *sfnt.Font, buf *sfnt.Buffer, r rune) bool {
	if f == nil {
		return false
	}
	i, err := f.GlyphIndex(buf, r)
	return err == nil && i != 0
}

// font is the font that draws r: 0 for the Go font (also when no font
// has r), i+1 for chain[i], the first of the chain that has r when the
// Go font lacks it and its script is drawn.
func (g *glyphs) font(r rune) int {
	if r < 0x250 || g == nil || len(g.chain) == 0 {
		return 0
	}
	if u, ok := g.use[r]; ok {
		return u
	}
	u := 0
	if !has(goFont, &g.buf, r) && !slices.Contains(shapedScripts, scriptOf(r)) {
		for i, f := range g.chain {
			if has(f.font, &g.buf, r) {
				u = i + 1
				break
			}
		}
	}
	g.use[r] = u
	return u
}

// drawable reports whether r shows as itself in the PDF.
func (g *glyphs) drawable(r rune) bool {
	return r < 0x250 || has(goFont, &g.buf, r) || g.font(r) > 0
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

// shapedJSON is the JSON form of v with its Arabic shaped, as drawn.
func shapedJSON(v any) (string, bool) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", false
	}
	return shapeArabic(string(b)), true
}

// undrawnScripts are the scripts of the letters in the JSON form of v the
// PDF cannot draw with the Go fonts and the fallback font chain (nil for
// none), sorted.
func undrawnScripts(v any, chain []*fallbackFont) []string {
	text, ok := shapedJSON(v)
	if !ok {
		return nil
	}
	g := newGlyphs(chain)
	if goFont == nil {
		return nil
	}
	seen := map[rune]bool{}
	var out []string
	for _, r := range text {
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

// usedFonts reports, per font of the chain, whether the JSON form of v
// holds a character drawn with it.
func usedFonts(v any, chain []*fallbackFont) []bool {
	used := make([]bool, len(chain))
	if len(chain) == 0 {
		return used
	}
	text, ok := shapedJSON(v)
	if !ok {
		return used
	}
	g := newGlyphs(chain)
	for _, r := range text {
		if i := g.font(r); i > 0 {
			used[i-1] = true
		}
	}
	return used
}

// scriptNote is what the PDF cover says when the report quotes text in
// scripts the PDF cannot draw: those characters show as empty boxes (the
// PDF's text still holds them, for search and copy), while the HTML and
// Markdown show them. Scripts whose letters join or reorder in ways the
// renderer does not do (shapedScripts: Syriac, Indic scripts but
// Devanagari …) are never drawn; others are drawn when a font of the
// chain has them.
func scriptNote(scripts []string, chain []*fallbackFont) string {
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
		parts = append(parts, fmt.Sprintf("%s text is shown as empty boxes: the PDF renderer cannot join or reorder the letters of these scripts", strings.Join(shaped, ", ")))
	}
	if len(missing) > 0 {
		where := "no fallback font is installed (Debian: fonts-droid-fallback, fonts-lexi-gulim, fonts-dejavu-core, fonts-lohit-deva; or set report.pdf_fonts to TrueType fonts)"
		if len(chain) > 0 {
			paths := make([]string, len(chain))
			for i, f := range chain {
				paths[i] = f.path
			}
			where = "neither the embedded Go fonts nor the fallback fonts " + strings.Join(paths, ", ") + " have them"
		}
		parts = append(parts, fmt.Sprintf("%s characters are shown as empty boxes: %s", strings.Join(missing, ", "), where))
	}
	return "Some names or titles in this report cannot be drawn in the PDF. " + strings.Join(parts, "; ") + ". The HTML and Markdown forms of the report show them."
}
