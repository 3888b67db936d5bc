package report

import "strings"

// Devanagari for the PDF, approximated: fpdf draws each character's
// nominal glyph in turn, without the font's OpenType substitutions and
// positioning, so the one reordering a reader cannot do without — the
// vowel sign I (ि, U+093F), written after its consonant cluster but shown
// before it — is done here; conjuncts show as their consonants joined by
// a visible virama (क्ष, not the ligature), the reph as र्, and marks
// above and below sit where the font's zero-width mark glyphs put them.

const (
	devaSignI  = 0x093F
	devaNukta  = 0x093C
	devaVirama = 0x094D
)

// devaConsonant reports whether r is a Devanagari consonant.
func devaConsonant(r rune) bool {
	return r >= 0x0915 && r <= 0x0939 || r >= 0x0958 && r <= 0x095F || r >= 0x0978 && r <= 0x097F
}

// reorderDevanagari moves each vowel sign I before the consonant cluster
// it follows (consonants, each with an optional nukta, joined by viramas,
// with an optional ZWJ or ZWNJ after a virama). A sign I after anything
// else stays where it is. Only for drawing: the result is in visual, not
// logical, order.
func reorderDevanagari(s string) string {
	if !strings.ContainsRune(s, devaSignI) {
		return s
	}
	rs := []rune(s)
	// clusterStart is the start of the consonant (with nukta) ending at
	// end-1, or -1.
	consonantAt := func(end int) int {
		k := end - 1
		if k >= 0 && rs[k] == devaNukta {
			k--
		}
		if k >= 0 && devaConsonant(rs[k]) {
			return k
		}
		return -1
	}
	for i := 0; i < len(rs); i++ {
		if rs[i] != devaSignI {
			continue
		}
		start := consonantAt(i)
		if start < 0 {
			continue
		}
		for {
			k := start - 1
			if k >= 0 && (rs[k] == zeroWidthJoiner || rs[k] == zeroWidthNonJoin) {
				k--
			}
			if k < 0 || rs[k] != devaVirama {
				break
			}
			c := consonantAt(k)
			if c < 0 {
				break
			}
			start = c
		}
		copy(rs[start+1:i+1], rs[start:i])
		rs[start] = devaSignI
	}
	return string(rs)
}

// visual is a line of shaped text in the order fpdf draws it: the
// Devanagari vowel sign I before its cluster, then right-to-left runs
// reversed (visualOrder).
func visual(s string) string { return visualOrder(reorderDevanagari(s)) }
