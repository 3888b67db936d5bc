package report

import (
	"bytes"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// TestShapeArabic: each letter takes the form its joining type and its
// neighbours' give it (hand-derived from ArabicShaping.txt and the
// presentation forms' decompositions); lam-alef becomes one ligature;
// marks are skipped when deciding joins; right-joining letters (alef,
// dal, reh, waw …) end a joined group; ZWJ and ZWNJ force and break joins.
func TestShapeArabic(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"Muhammad: initial, medial, medial, final", "محمد", "\uFEE3\uFEA4\uFEE4\uFEAA"},
		{"Ali: initial, medial, final", "علي", "\uFECB\uFEE0\uFEF2"},
		{"two words", "محمد علي", "\uFEE3\uFEA4\uFEE4\uFEAA \uFECB\uFEE0\uFEF2"},
		{"as-salam: isolated alef, final lam-alef after seen", "السلام", "\uFE8D\uFEDF\uFEB4\uFEFC\uFEE1"},
		{"la: isolated lam-alef", "لا", "\uFEFB"},
		{"lam-alef with hamza above and below, madda", "لأ لإ لآ", "\uFEF7 \uFEF9 \uFEF5"},
		{"Dar: dal, alef, reh join nothing after them", "دار", "\uFEA9\uFE8D\uFEAD"},
		{"Walid: waw isolated, then initial lam", "وليد", "\uFEED\uFEDF\uFEF4\uFEAA"},
		{"Fatima: alef breaks the word, teh marbuta final", "فاطمة", "\uFED3\uFE8E\uFEC3\uFEE4\uFE94"},
		{"hamza is non-joining", "ماء", "\uFEE3\uFE8E\uFE80"},
		{"marks are transparent and kept", "مُحَمَّد", "\uFEE3\u064F\uFEA4\u064E\uFEE4\u064E\u0651\uFEAA"},
		{"a mark between lam and alef follows the ligature", "لَا", "\uFEFB\u064E"},
		{"tatweel joins both sides", "ـبـ", "\u0640\uFE92\u0640"},
		{"ZWNJ breaks the join", "ب\u200cب", "\uFE8F\u200C\uFE8F"},
		{"ZWJ forces the join", "ب\u200d", "\uFE91\u200D"},
		{"Persian Parviz: peh, reh, waw, farsi yeh, zain", "پرویز", "\uFB58\uFEAE\uFEED\uFBFE\uFEB0"},
		{"Imran Khan: alef after reh and noon after alef are isolated", "عمران خان", "\uFECB\uFEE4\uFEAE\uFE8D\uFEE5 \uFEA7\uFE8E\uFEE5"},
		{"digits and Latin are kept", "علي 12 Ali", "\uFECB\uFEE0\uFEF2 12 Ali"},
		{"Arabic-Indic digits are kept", "غرفة ١٢", "\uFECF\uFEAE\uFED3\uFE94 \u0661\u0662"},
		{"a letter without presentation forms stays nominal and joins", "بڭب", "\uFE91\u06AD\uFE90"},
		{"no Arabic", "Анна Кузнецова 王芳", "Анна Кузнецова 王芳"},
	} {
		if got := shapeArabic(c.in); got != c.want {
			t.Errorf("%s: shapeArabic(%q) = %+q, want %+q", c.name, c.in, got, c.want)
		}
	}
}

// TestVisualOrder: right-to-left runs are reversed inside the
// left-to-right line, numbers and Latin in them stay left to right,
// brackets around right-to-left text are mirrored, marks stay after
// their base, and text without right-to-left characters is unchanged.
func TestVisualOrder(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"Hebrew name", "דוד כהן", "ןהכ דוד"},
		{"Hebrew inside Latin", "Analyst דוד כהן has 1", "Analyst ןהכ דוד has 1"},
		{"number after Hebrew", "דוד 2026", "2026 דוד"},
		{"number before Hebrew belongs to the Latin line", "12 כהן", "12 ןהכ"},
		{"percent joins its number", "כהן 50%", "50% ןהכ"},
		{"Latin inside Hebrew", "דוד PowerShell כהן", "דוד PowerShell ןהכ"},
		{"brackets in Hebrew are mirrored", "דוד (כהן)", "(ןהכ) דוד"},
		{"brackets after Latin stay Latin", "Dan (דן)", "Dan (ןד)"},
		{"points are reversed with their letter, before it", "שָׁלוֹם", "\u05DD\u05B9\u05D5\u05DC\u05C1\u05B8\u05E9"},
		{"shaped Arabic and a number (an Arabic number, W2)", "\uFEE3\uFEA4\uFEE4\uFEAA 12", "12 \uFEAA\uFEE4\uFEA4\uFEE3"},
		{"two Arabic words around an Arabic number", "\uFEE3\uFEA4\uFEE4\uFEAA 12 \uFECB\uFEE0\uFEF2", "\uFEF2\uFEE0\uFECB 12 \uFEAA\uFEE4\uFEA4\uFEE3"},
		{"Arabic, Latin, Arabic", "\uFECB\uFEE0\uFEF2 PowerShell \uFEE3\uFEA4", "\uFEF2\uFEE0\uFECB PowerShell \uFEA4\uFEE3"},
		{"Arabic-Indic digits stay left to right", "\uFE8F \u0661\u0662", "\u0661\u0662 \uFE8F"},
		{"ZWNJ is dropped", "\uFE8F\u200C\uFE8F", "\uFE8F\uFE8F"},
		{"no right-to-left text", "Zoë Ødegård (98.1%) — Анна 王芳", "Zoë Ødegård (98.1%) — Анна 王芳"},
	} {
		if got := visualOrder(c.in); got != c.want {
			t.Errorf("%s: visualOrder(%q) = %+q, want %+q", c.name, c.in, got, c.want)
		}
	}
}

// TestReorderDevanagari: the vowel sign I is drawn before its consonant
// cluster, nothing else moves.
func TestReorderDevanagari(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"kitab", "किताब", "िकताब"},
		{"Rahul Sharma: no sign I", "राहुल शर्मा", "राहुल शर्मा"},
		{"cluster with virama: Lakshmi", "लक्ष्मी", "लक्ष्मी"},
		{"sign I after a conjunct: Siddhi", "सिद्धि", "िसि\u0926\u094D\u0927"},
		{"sign I after a nukta consonant", "ज़िला", "िज़ला"},
		{"two sign I in a row of syllables", "किकि", "िकिक"},
		{"sign I at the start stays", "ि", "ि"},
		{"Latin", "Siddhi", "Siddhi"},
	} {
		if got := reorderDevanagari(c.in); got != c.want {
			t.Errorf("%s: reorderDevanagari(%q) = %+q, want %+q", c.name, c.in, got, c.want)
		}
	}
}

// FuzzShapeVisual: shaping and reordering never panic; shaping is
// idempotent and keeps every character but the alefs folded into a
// lam-alef ligature; reordering keeps every character (mirrored) but
// ZWJ and ZWNJ, leaves text without right-to-left characters as it is,
// and the Devanagari reordering moves characters without changing them.
func FuzzShapeVisual(f *testing.F) {
	for _, s := range []string{"محمد علي", "السلام لا لَا", "דוד (כהן) 2026", "Case: هجوم 12 (Ransomware)", "किताब सिद्धि",
		"ب\u200cب\u200d", "پرویز گلشیری", "\u202eabc", "((((]]]", "١٢ 50% $3", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		shaped := shapeArabic(s)
		if again := shapeArabic(shaped); again != shaped {
			t.Fatalf("shaping %q twice: %+q, then %+q", s, shaped, again)
		}
		vis := visual(shaped)
		if !utf8.ValidString(s) {
			return
		}
		ligatures := func(s string) (n int) {
			for _, r := range s {
				if r >= 0xFEF5 && r <= 0xFEFC {
					n++
				}
			}
			return n
		}
		if got, want := utf8.RuneCountInString(shaped), utf8.RuneCountInString(s)-(ligatures(shaped)-ligatures(s)); got != want {
			t.Fatalf("shaping %q: %d characters, want %d", s, got, want)
		}
		joiners := 0
		rtl := false
		for _, r := range shaped {
			if r == zeroWidthJoiner || r == zeroWidthNonJoin {
				joiners++
			}
			rtl = rtl || rtlRune(r)
		}
		if !rtl && joiners == 0 && vis != reorderDevanagari(shaped) {
			t.Fatalf("%q has no right-to-left text but is reordered: %+q", shaped, vis)
		}
		sorted := func(s string) []rune {
			var rs []rune
			for _, r := range s {
				if r == zeroWidthJoiner || r == zeroWidthNonJoin {
					continue
				}
				if m := mirror(r); m != r && m < r {
					r = m // a mirrored pair counts as one character
				}
				rs = append(rs, r)
			}
			slices.Sort(rs)
			return rs
		}
		if a, b := sorted(shaped), sorted(vis); !slices.Equal(a, b) {
			t.Fatalf("reordering %+q lost or added characters: %+q", shaped, vis)
		}
	})
}

// scriptsDoc plants Korean, Arabic, Hebrew and Devanagari names as
// analysts, rules and case titles.
func scriptsDoc() *Document {
	return &Document{Title: "Shift handover 김민준 محمد علي דוד כהן राहुल शर्मा", Window: "2026-11-30", Parts: []Part{
		{Heading: "Cases", Lines: []string{"Analyst 김민준 has 3 cases; محمد علي has 2; דוד כהן has 1; राहुल शर्मा has 4"},
			Tables: []Table{{Columns: []string{"Analyst", "Rule", "Case title"}, Rows: [][]string{
				{"김민준", "의심스러운 로그인", "랜섬웨어 감염"},
				{"محمد علي", "كشف PowerShell المشبوه", "هجوم فدية على الخادم 12"},
				{"דוד כהן", "כניסה חשודה", "מתקפת כופר 2026"},
				{"राहुल शर्मा", "संदिग्ध लॉगिन", "फ़िशिंग ईमेल"},
			}}}},
	}}
}

// TestPDFScripts: with the Debian fonts .ci/run installs, Korean, Arabic,
// Hebrew and Devanagari names are drawn and the cover names no script as
// undrawn. pdftotext reads them back: it puts right-to-left words back in
// logical order between U+202B and U+202C (numbers beside them stay where
// they are drawn, spaces may move across the marks), keeps the Arabic
// presentation forms (NFKC gives the letters back), and gives Devanagari
// in drawing order (the vowel sign I before its consonant). pdftoppm
// draws ink in every non-Latin word's box, and different words differ.
func TestPDFScripts(t *testing.T) {
	if testChain(t) == nil {
		t.Skip("the Debian fonts are not all installed: Hangul, Arabic, Hebrew and Devanagari in the PDF are not checked")
	}
	withFallbackPaths(t, debianChain...)
	var b bytes.Buffer
	if err := scriptsDoc().PDF(&b); err != nil {
		t.Fatal(err)
	}
	_, text := pdfStrings(t, b.Bytes())
	if strings.Contains(text, "cannot be drawn") {
		t.Errorf("the cover names scripts as undrawn:\n%s", text)
	}
	// Lexi Gulim, DejaVu Sans and Lohit Devanagari; not Droid: no Han.
	for i := range 4 {
		if embedded := bytes.Contains(b.Bytes(), []byte("/BaseFont /utf8"+fallbackName(i))); embedded != (i < 3) {
			t.Errorf("fallback font %d embedded: %v, want %v", i, embedded, i < 3)
		}
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext (Debian's poppler-utils) is not installed: the poppler checks are skipped")
	}
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		t.Skip("pdftoppm (Debian's poppler-utils) is not installed: the poppler checks are skipped")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "s.pdf")
	if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("WATCHFLOOR_REPORT_PDF_DIR"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, "scripts.pdf"), b.Bytes(), 0o644)
	}
	out, err := exec.Command("pdftotext", "-f", "2", "-l", "2", file, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v %s", err, out)
	}
	lines := strings.Split(string(out), "\n")
	const rle, pdf = "\u202b", "\u202c"
	for _, c := range []struct{ cell, want string }{
		{"김민준", "김민준"},
		{"의심스러운 로그인", "의심스러운 로그인"},
		{"محمد علي", rle + "\uFEE3\uFEA4\uFEE4\uFEAA \uFECB\uFEE0\uFEF2" + pdf},
		{"كشف PowerShell المشبوه", rle + " \uFEDB\uFEB8\uFED2" + pdf + "PowerShell " + rle + "\uFE8D\uFEDF\uFEE4\uFEB8\uFE92\uFEEE\uFEE9" + pdf},
		{"هجوم فدية على الخادم 12", "12 " + rle + "\uFEEB\uFEA0\uFEEE\uFEE1 \uFED3\uFEAA\uFEF3\uFE94 \uFECB\uFEE0\uFEF0 \uFE8D\uFEDF\uFEA8\uFE8E\uFEA9\uFEE1" + pdf},
		{"דוד כהן", rle + "דוד כהן" + pdf},
		{"מתקפת כופר 2026", "2026 " + rle + "מתקפת כופר" + pdf},
		{"राहुल शर्मा", "राहुल शर्मा"},
		{"संदिग्ध लॉगिन", "स\u0902\u093F\u0926\u0917\u094D\u0927 \u0932\u0949\u093F\u0917\u0928"},
		{"फ़िशिंग ईमेल", "\u093F\u092B\u093C\u093F\u0936\u0902\u0917 \u0908\u092E\u0947\u0932"},
	} {
		if !slices.Contains(lines, c.want) {
			t.Errorf("pdftotext does not read %q as %+q:\n%s", c.cell, c.want, out)
			continue
		}
		// Presentation forms and the marks aside, the words are the cell's.
		words := strings.Fields(norm.NFKC.String(strings.NewReplacer(rle, " ", pdf, " ").Replace(c.want)))
		for _, w := range strings.Fields(c.cell) {
			if !slices.Contains(words, w) && !strings.ContainsRune(w, devaSignI) {
				t.Errorf("%q: pdftotext's %+q lacks %q after NFKC", c.cell, c.want, w)
			}
		}
	}
	inkCheck(t, file, dir)
}

// inkCheck renders page 2 of file with pdftoppm and checks that the box
// pdftotext -bbox gives each non-Latin word has ink, and that the words'
// images differ when their text does (empty boxes would not).
func inkCheck(t *testing.T, file, dir string) {
	t.Helper()
	const scale = 2 // 144 dpi: two pixels a point
	if out, err := exec.Command("pdftoppm", "-f", "2", "-l", "2", "-r", "144", "-gray", "-png", file, filepath.Join(dir, "p")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	pngs, _ := filepath.Glob(filepath.Join(dir, "p*.png"))
	if len(pngs) != 1 {
		t.Fatalf("pdftoppm made %v", pngs)
	}
	fh, err := os.Open(pngs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	img, err := png.Decode(fh)
	if err != nil {
		t.Fatal(err)
	}
	bbox := filepath.Join(dir, "bbox.html")
	if out, err := exec.Command("pdftotext", "-f", "2", "-l", "2", "-bbox", file, bbox).CombinedOutput(); err != nil {
		t.Fatalf("pdftotext -bbox: %v %s", err, out)
	}
	html, err := os.ReadFile(bbox)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{} // image signature → word
	n := 0
	for _, m := range regexp.MustCompile(`<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>`).FindAllStringSubmatch(string(html), -1) {
		word := m[5]
		if !strings.ContainsFunc(word, func(r rune) bool { return r >= 0x250 && unicode.IsLetter(r) }) {
			continue
		}
		var box [4]int
		for i := range box {
			v, _ := strconv.ParseFloat(m[i+1], 64)
			box[i] = int(v * scale)
		}
		ink, total := 0, 0
		var sig strings.Builder
		for y := box[1]; y < box[3]; y++ {
			for x := box[0]; x < box[2]; x++ {
				total++
				dark := color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y < 128
				if dark {
					ink++
				}
				sig.WriteByte(map[bool]byte{true: '#', false: '.'}[dark])
			}
			sig.WriteByte('\n')
		}
		if total == 0 || ink*100 < total*3 {
			t.Errorf("%q: %d of %d pixels inked in its box %v", word, ink, total, box)
		}
		if other, ok := seen[sig.String()]; ok && other != word {
			t.Errorf("%q and %q are drawn alike", word, other)
		}
		seen[sig.String()] = word
		n++
	}
	if n < 20 {
		t.Errorf("pdftotext -bbox found %d non-Latin words, want at least 20", n)
	}
}

// TestPDFTextJoiners: ZWNJ and ZWJ reach the shaper; other format
// characters (a bidi override) stay escaped.
func TestPDFTextJoiners(t *testing.T) {
	for in, want := range map[string]string{
		"علی\u200cرضا": "علی\u200cرضا", "x\u200dy\u202ez": "x\u200dy\\u202ez", "\u202e\u200c\x1b": "\\u202e\u200c\\x1b", "plain": "plain",
	} {
		if got := pdfText(in); got != want {
			t.Errorf("pdfText(%+q) = %+q, want %+q", in, got, want)
		}
	}
	// Ali-Reza: yeh final before the ZWNJ, reh isolated after it, dad
	// initial before alef; drawn right to left.
	if got, want := visual(shapeArabic(pdfText("علی\u200cرضا"))), "\uFE8E\uFEBF\uFEAD\uFBFD\uFEE0\uFECB"; got != want {
		t.Errorf("drawn %+q, want %+q", got, want)
	}
}
