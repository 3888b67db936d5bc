package report

import (
	"slices"

	"golang.org/x/text/unicode/bidi"
)

// Visual order for the PDF: fpdf draws characters left to right in the
// order given, so a line holding right-to-left text (Hebrew, Arabic) is
// put in display order first, by the Unicode Bidirectional Algorithm
// (UAX #9) for a left-to-right paragraph, the report's direction: rules
// W1–W7, N0 (bracket pairs), N1–N2, I1–I2, L1, L2 and L4 (not L3, see
// visualOrder). Explicit embeddings,
// overrides and isolates are not applied: pdfText shows those format
// characters escaped, so the text never holds them (any that reach
// visualOrder count as neutrals). The character classes and bracket pairs
// are golang.org/x/text/unicode/bidi's; its Paragraph.Order is not used as
// it stops at the runs of one direction, in logical order, and does not
// expose the embedding levels rule L2 needs.

// mirrored are the Bidi_Mirrored characters that are not brackets (the
// brackets are mirrored with x/text's bracket pairs): drawn in a
// right-to-left run, each is shown as its mirror image (rule L4).
var mirrored = map[rune]rune{'<': '>', '>': '<', '«': '»', '»': '«', '‹': '›', '›': '‹', '≤': '≥', '≥': '≤'}

// rtlRune reports whether r may be of a right-to-left class (R, AL, AN):
// the Hebrew to Arabic Extended blocks, the Hebrew and Arabic
// presentation forms and the right-to-left supplementary blocks.
func rtlRune(r rune) bool {
	return r >= 0x0590 && r <= 0x08FF || r >= 0xFB1D && r <= 0xFDFF || r >= 0xFE70 && r <= 0xFEFF ||
		r >= 0x10800 && r <= 0x10FFF || r >= 0x1E800 && r <= 0x1EFFF
}

// visualOrder puts a line of s into the order it is drawn in, left to
// right: right-to-left runs reversed (digits and Latin inside them kept
// left to right, marks before their base character as the reversal
// leaves them), and mirrored characters in right-to-left runs (brackets) mirrored. ZWJ and
// ZWNJ, which only steer Arabic shaping, are dropped. A line without
// right-to-left characters is returned as it is.
func visualOrder(s string) string {
	rtl := false
	for _, r := range s {
		if rtlRune(r) || r == zeroWidthJoiner || r == zeroWidthNonJoin {
			rtl = true
			break
		}
	}
	if !rtl {
		return s
	}
	rs := make([]rune, 0, len(s))
	for _, r := range s {
		if r != zeroWidthJoiner && r != zeroWidthNonJoin {
			rs = append(rs, r)
		}
	}
	levels := bidiLevels(rs)
	// L2: from the highest level to the lowest odd one, reverse every run
	// at that level or higher. Rule L3 (marks after their base) is not
	// applied: the fonts' right-to-left marks are zero-width glyphs drawn
	// to the right of the pen, over the glyph drawn after them, which in
	// a reversed run is their base.
	top, lowOdd := int8(0), int8(127)
	for _, l := range levels {
		top = max(top, l)
		if l%2 == 1 {
			lowOdd = min(lowOdd, l)
		}
	}
	type char struct {
		r     rune
		level int8
	}
	cs := make([]char, len(rs))
	for i, r := range rs {
		cs[i] = char{r, levels[i]}
	}
	for l := top; l >= lowOdd && l > 0; l-- {
		for i := 0; i < len(cs); {
			if cs[i].level < l {
				i++
				continue
			}
			j := i
			for j < len(cs) && cs[j].level >= l {
				j++
			}
			slices.Reverse(cs[i:j])
			i = j
		}
	}
	out := make([]rune, len(cs))
	for i, c := range cs {
		out[i] = c.r
		if c.level%2 == 1 { // L4
			out[i] = mirror(c.r)
		}
	}
	return string(out)
}

// class is r's bidi class; the explicit formatting classes count as
// other neutrals (see visualOrder).
func class(r rune) bidi.Class {
	p, _ := bidi.LookupRune(r)
	switch c := p.Class(); c {
	case bidi.L, bidi.R, bidi.EN, bidi.ES, bidi.ET, bidi.AN, bidi.CS, bidi.B, bidi.S, bidi.WS, bidi.ON, bidi.NSM, bidi.AL:
		return c
	default:
		return bidi.ON
	}
}

// mirror is r's mirror image (r when it has none).
func mirror(r rune) rune {
	if m, ok := mirrored[r]; ok {
		return m
	}
	if p, _ := bidi.LookupRune(r); p.IsBracket() {
		if m := []rune(bidi.ReverseString(string(r))); len(m) == 1 {
			return m[0]
		}
	}
	return r
}

// strongDir is a resolved type as N0 and N1 see it: European and Arabic
// numbers count as R; ok false for a neutral.
func strongDir(c bidi.Class) (bidi.Class, bool) {
	switch c {
	case bidi.L:
		return bidi.L, true
	case bidi.R, bidi.AL, bidi.EN, bidi.AN:
		return bidi.R, true
	}
	return bidi.ON, false
}

// bidiLevels are the embedding levels (0, 1 or 2) of the characters of
// one line of a left-to-right paragraph without explicit formatting
// characters.
func bidiLevels(rs []rune) []int8 {
	n := len(rs)
	orig := make([]bidi.Class, n)
	t := make([]bidi.Class, n)
	for i, r := range rs {
		orig[i] = class(r)
		t[i] = orig[i]
	}
	// W1: a mark takes the type of the character before it (sos: L).
	for i := range t {
		if t[i] == bidi.NSM {
			if i == 0 {
				t[i] = bidi.L
			} else {
				t[i] = t[i-1]
			}
		}
	}
	// W2: European numbers after an Arabic letter are Arabic numbers.
	// W3: Arabic letters are R.
	last := bidi.L
	for i, c := range t {
		switch c {
		case bidi.L, bidi.R, bidi.AL:
			last = c
		case bidi.EN:
			if last == bidi.AL {
				t[i] = bidi.AN
			}
		}
	}
	for i := range t {
		if t[i] == bidi.AL {
			t[i] = bidi.R
		}
	}
	// W4: one separator between two numbers of one kind joins them.
	for i := 1; i+1 < n; i++ {
		switch {
		case t[i] == bidi.ES && t[i-1] == bidi.EN && t[i+1] == bidi.EN:
			t[i] = bidi.EN
		case t[i] == bidi.CS && t[i-1] == t[i+1] && (t[i-1] == bidi.EN || t[i-1] == bidi.AN):
			t[i] = t[i-1]
		}
	}
	// W5: terminators (currency, %) next to European numbers join them.
	for i := 0; i < n; {
		if t[i] != bidi.ET {
			i++
			continue
		}
		j := i
		for j < n && t[j] == bidi.ET {
			j++
		}
		if (i > 0 && t[i-1] == bidi.EN) || (j < n && t[j] == bidi.EN) {
			for k := i; k < j; k++ {
				t[k] = bidi.EN
			}
		}
		i = j
	}
	// W6: the separators and terminators left are neutral.
	for i, c := range t {
		if c == bidi.ES || c == bidi.ET || c == bidi.CS {
			t[i] = bidi.ON
		}
	}
	// W7: European numbers after L (or at the start) are L.
	last = bidi.L
	for i, c := range t {
		switch c {
		case bidi.L, bidi.R:
			last = c
		case bidi.EN:
			if last == bidi.L {
				t[i] = bidi.L
			}
		}
	}
	resolveBrackets(rs, orig, t)
	// N1, N2: neutrals between two strong types of one direction take it;
	// others the paragraph's, L (sos and eos are L).
	for i := 0; i < n; {
		if _, strong := strongDir(t[i]); strong {
			i++
			continue
		}
		j := i
		for j < n {
			if _, strong := strongDir(t[j]); strong {
				break
			}
			j++
		}
		before, after := bidi.L, bidi.L
		if i > 0 {
			before, _ = strongDir(t[i-1])
		}
		if j < n {
			after, _ = strongDir(t[j])
		}
		d := bidi.L
		if before == after {
			d = before
		}
		for k := i; k < j; k++ {
			t[k] = d
		}
		i = j
	}
	// I1: R is level 1, numbers level 2, L level 0.
	levels := make([]int8, n)
	for i, c := range t {
		switch c {
		case bidi.R:
			levels[i] = 1
		case bidi.EN, bidi.AN:
			levels[i] = 2
		}
	}
	// L1: separators, and white space before them and at the end of the
	// line, are at the paragraph's level.
	trailing := true
	for i := n - 1; i >= 0; i-- {
		switch orig[i] {
		case bidi.S, bidi.B:
			levels[i] = 0
			trailing = true
		case bidi.WS:
			if trailing {
				levels[i] = 0
			}
		default:
			trailing = false
		}
	}
	return levels
}

// resolveBrackets applies rule N0 to the bracket pairs of rs (BD16):
// a pair enclosing L text is L; one enclosing only right-to-left text is
// R when the text before it is right-to-left too, else L; marks after a
// bracket follow it.
func resolveBrackets(rs []rune, orig, t []bidi.Class) {
	type opening struct {
		close rune
		pos   int
	}
	var stack []opening
	var pairs [][2]int
	for i, r := range rs {
		if t[i] != bidi.ON {
			continue
		}
		p, _ := bidi.LookupRune(r)
		if !p.IsBracket() {
			continue
		}
		if p.IsOpeningBracket() {
			if len(stack) == 63 {
				break
			}
			stack = append(stack, opening{close: mirror(r), pos: i})
			continue
		}
		for k := len(stack) - 1; k >= 0; k-- {
			if stack[k].close == r {
				pairs = append(pairs, [2]int{stack[k].pos, i})
				stack = stack[:k]
				break
			}
		}
	}
	slices.SortFunc(pairs, func(a, b [2]int) int { return a[0] - b[0] })
	for _, pr := range pairs {
		inL, inR := false, false
		for k := pr[0] + 1; k < pr[1]; k++ {
			switch d, _ := strongDir(t[k]); d {
			case bidi.L:
				inL = true
			case bidi.R:
				inR = true
			}
		}
		var d bidi.Class
		switch {
		case inL:
			d = bidi.L
		case inR:
			d = bidi.L
			for k := pr[0] - 1; k >= 0; k-- {
				if c, strong := strongDir(t[k]); strong {
					d = c
					break
				}
			}
		default:
			continue
		}
		for _, at := range pr {
			t[at] = d
			for k := at + 1; k < len(rs) && orig[k] == bidi.NSM; k++ {
				t[k] = d
			}
		}
	}
}
