package report

import (
	"strings"
	"unicode"
)

// Arabic shaping for the PDF: fpdf draws one glyph per character, left to
// right, with no OpenType shaping, so Arabic letters are replaced by the
// contextual forms Unicode encodes as characters (Arabic Presentation
// Forms-A and -B), chosen from each letter's joining type as the Unicode
// standard specifies (chapter 9.2, ArabicShaping.txt), and lam followed
// by alef by their mandatory ligature. The text stays in logical order;
// visualOrder puts it in display order afterwards.

// joining is a character's Unicode Joining_Type.
type joining byte

const (
	joinNone         joining = iota // U: joins neither side (and every character not listed)
	joinRight                       // R: joins the character before it only
	joinDual                        // D: joins both sides
	joinCausing                     // C: tatweel, ZWJ: makes its neighbours join
	joinTransparent                 // T: marks: skipped when deciding joins
	joinLeft                        // L: joins the character after it only (none in the Arabic blocks)
	zeroWidthJoiner  = '\u200d'
	zeroWidthNonJoin = '\u200c'
)

// joiningRanges are the Joining_Type values of ArabicShaping.txt (Unicode
// 15/16) for the Arabic, Arabic Supplement and Arabic Extended-A blocks:
// dual- and right-joining letters and the join-causing tatweel. Every
// other letter there is non-joining; marks are transparent (joinType).
var joiningRanges = []struct {
	lo, hi rune
	t      joining
}{
	{0x0620, 0x0620, joinDual}, {0x0622, 0x0625, joinRight}, {0x0626, 0x0626, joinDual}, {0x0627, 0x0627, joinRight},
	{0x0628, 0x0628, joinDual}, {0x0629, 0x0629, joinRight}, {0x062A, 0x062E, joinDual}, {0x062F, 0x0632, joinRight},
	{0x0633, 0x063F, joinDual}, {0x0640, 0x0640, joinCausing}, {0x0641, 0x0647, joinDual}, {0x0648, 0x0648, joinRight},
	{0x0649, 0x064A, joinDual}, {0x066E, 0x066F, joinDual}, {0x0671, 0x0673, joinRight}, {0x0675, 0x0677, joinRight},
	{0x0678, 0x0687, joinDual}, {0x0688, 0x0699, joinRight}, {0x069A, 0x06BF, joinDual}, {0x06C0, 0x06C0, joinRight},
	{0x06C1, 0x06C2, joinDual}, {0x06C3, 0x06CB, joinRight}, {0x06CC, 0x06CC, joinDual}, {0x06CD, 0x06CD, joinRight},
	{0x06CE, 0x06CE, joinDual}, {0x06CF, 0x06CF, joinRight}, {0x06D0, 0x06D1, joinDual}, {0x06D2, 0x06D3, joinRight},
	{0x06D5, 0x06D5, joinRight}, {0x06EE, 0x06EF, joinRight}, {0x06FA, 0x06FC, joinDual}, {0x06FF, 0x06FF, joinDual},
	{0x0750, 0x0758, joinDual}, {0x0759, 0x075B, joinRight}, {0x075C, 0x076A, joinDual}, {0x076B, 0x076C, joinRight},
	{0x076D, 0x0770, joinDual}, {0x0771, 0x0771, joinRight}, {0x0772, 0x0772, joinDual}, {0x0773, 0x0774, joinRight},
	{0x0775, 0x0777, joinDual}, {0x0778, 0x0779, joinRight}, {0x077A, 0x077F, joinDual},
	{0x08A0, 0x08A9, joinDual}, {0x08AA, 0x08AC, joinRight}, {0x08AE, 0x08AE, joinRight}, {0x08AF, 0x08B0, joinDual},
	{0x08B1, 0x08B2, joinRight}, {0x08B3, 0x08B8, joinDual}, {0x08B9, 0x08B9, joinRight}, {0x08BA, 0x08C8, joinDual},
}

// joinType is r's Joining_Type: listed in joiningRanges, ZWJ join-causing,
// ZWNJ non-joining, other marks and format characters (general
// categories Mn, Me, Cf) transparent, everything else non-joining.
func joinType(r rune) joining {
	switch {
	case r == zeroWidthJoiner:
		return joinCausing
	case r == zeroWidthNonJoin:
		return joinNone
	case r >= 0x0620 && r <= 0x08C8:
		for _, j := range joiningRanges {
			if r >= j.lo && r <= j.hi {
				return j.t
			}
		}
	}
	if unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf) {
		return joinTransparent
	}
	return joinNone
}

// Forms of an Arabic letter, as indexes into arabicForms' arrays.
const (
	formIsolated = iota
	formFinal
	formInitial
	formMedial
)

// arabicForms are the presentation forms of the letters that have them
// (the compatibility decompositions <isolated>, <final>, <initial>,
// <medial> of UnicodeData.txt): isolated, final, initial, medial; 0
// where Unicode encodes none. Letters not listed are drawn in their
// nominal form whatever their position.
var arabicForms = map[rune][4]rune{
	0x0621: {0xFE80, 0, 0, 0},                // hamza
	0x0622: {0xFE81, 0xFE82, 0, 0},           // alef with madda above
	0x0623: {0xFE83, 0xFE84, 0, 0},           // alef with hamza above
	0x0624: {0xFE85, 0xFE86, 0, 0},           // waw with hamza above
	0x0625: {0xFE87, 0xFE88, 0, 0},           // alef with hamza below
	0x0626: {0xFE89, 0xFE8A, 0xFE8B, 0xFE8C}, // yeh with hamza above
	0x0627: {0xFE8D, 0xFE8E, 0, 0},           // alef
	0x0628: {0xFE8F, 0xFE90, 0xFE91, 0xFE92}, // beh
	0x0629: {0xFE93, 0xFE94, 0, 0},           // teh marbuta
	0x062A: {0xFE95, 0xFE96, 0xFE97, 0xFE98}, // teh
	0x062B: {0xFE99, 0xFE9A, 0xFE9B, 0xFE9C}, // theh
	0x062C: {0xFE9D, 0xFE9E, 0xFE9F, 0xFEA0}, // jeem
	0x062D: {0xFEA1, 0xFEA2, 0xFEA3, 0xFEA4}, // hah
	0x062E: {0xFEA5, 0xFEA6, 0xFEA7, 0xFEA8}, // khah
	0x062F: {0xFEA9, 0xFEAA, 0, 0},           // dal
	0x0630: {0xFEAB, 0xFEAC, 0, 0},           // thal
	0x0631: {0xFEAD, 0xFEAE, 0, 0},           // reh
	0x0632: {0xFEAF, 0xFEB0, 0, 0},           // zain
	0x0633: {0xFEB1, 0xFEB2, 0xFEB3, 0xFEB4}, // seen
	0x0634: {0xFEB5, 0xFEB6, 0xFEB7, 0xFEB8}, // sheen
	0x0635: {0xFEB9, 0xFEBA, 0xFEBB, 0xFEBC}, // sad
	0x0636: {0xFEBD, 0xFEBE, 0xFEBF, 0xFEC0}, // dad
	0x0637: {0xFEC1, 0xFEC2, 0xFEC3, 0xFEC4}, // tah
	0x0638: {0xFEC5, 0xFEC6, 0xFEC7, 0xFEC8}, // zah
	0x0639: {0xFEC9, 0xFECA, 0xFECB, 0xFECC}, // ain
	0x063A: {0xFECD, 0xFECE, 0xFECF, 0xFED0}, // ghain
	0x0641: {0xFED1, 0xFED2, 0xFED3, 0xFED4}, // feh
	0x0642: {0xFED5, 0xFED6, 0xFED7, 0xFED8}, // qaf
	0x0643: {0xFED9, 0xFEDA, 0xFEDB, 0xFEDC}, // kaf
	0x0644: {0xFEDD, 0xFEDE, 0xFEDF, 0xFEE0}, // lam
	0x0645: {0xFEE1, 0xFEE2, 0xFEE3, 0xFEE4}, // meem
	0x0646: {0xFEE5, 0xFEE6, 0xFEE7, 0xFEE8}, // noon
	0x0647: {0xFEE9, 0xFEEA, 0xFEEB, 0xFEEC}, // heh
	0x0648: {0xFEED, 0xFEEE, 0, 0},           // waw
	0x0649: {0xFEEF, 0xFEF0, 0xFBE8, 0xFBE9}, // alef maksura
	0x064A: {0xFEF1, 0xFEF2, 0xFEF3, 0xFEF4}, // yeh
	0x0671: {0xFB50, 0xFB51, 0, 0},           // alef wasla
	0x0679: {0xFB66, 0xFB67, 0xFB68, 0xFB69}, // tteh (Urdu)
	0x067E: {0xFB56, 0xFB57, 0xFB58, 0xFB59}, // peh (Persian, Urdu)
	0x0686: {0xFB7A, 0xFB7B, 0xFB7C, 0xFB7D}, // tcheh (Persian, Urdu)
	0x0688: {0xFB88, 0xFB89, 0, 0},           // ddal (Urdu)
	0x0691: {0xFB8C, 0xFB8D, 0, 0},           // rreh (Urdu)
	0x0698: {0xFB8A, 0xFB8B, 0, 0},           // jeh (Persian)
	0x06A4: {0xFB6A, 0xFB6B, 0xFB6C, 0xFB6D}, // veh
	0x06A9: {0xFB8E, 0xFB8F, 0xFB90, 0xFB91}, // keheh (Persian, Urdu)
	0x06AF: {0xFB92, 0xFB93, 0xFB94, 0xFB95}, // gaf (Persian, Urdu)
	0x06BA: {0xFB9E, 0xFB9F, 0, 0},           // noon ghunna (Urdu)
	0x06BE: {0xFBAA, 0xFBAB, 0xFBAC, 0xFBAD}, // heh doachashmee (Urdu)
	0x06C0: {0xFBA4, 0xFBA5, 0, 0},           // heh with yeh above
	0x06C1: {0xFBA6, 0xFBA7, 0xFBA8, 0xFBA9}, // heh goal (Urdu)
	0x06CC: {0xFBFC, 0xFBFD, 0xFBFE, 0xFBFF}, // farsi yeh (Persian, Urdu)
	0x06D2: {0xFBAE, 0xFBAF, 0, 0},           // yeh barree (Urdu)
	0x06D3: {0xFBB0, 0xFBB1, 0, 0},           // yeh barree with hamza above
}

// lamAlef are the lam-alef ligatures by the alef: isolated, final.
var lamAlef = map[rune][2]rune{
	0x0622: {0xFEF5, 0xFEF6}, // lam with alef with madda above
	0x0623: {0xFEF7, 0xFEF8}, // lam with alef with hamza above
	0x0625: {0xFEF9, 0xFEFA}, // lam with alef with hamza below
	0x0627: {0xFEFB, 0xFEFC}, // lam with alef
}

const arabicLam = 0x0644

// hasArabic reports whether s holds a character of the Arabic blocks the
// shaper changes.
func hasArabic(s string) bool {
	for _, r := range s {
		if r >= 0x0620 && r <= 0x08C8 {
			return true
		}
	}
	return false
}

// shapeArabic replaces the Arabic letters of s by their contextual
// presentation forms and lam followed by alef (marks between them
// allowed) by their ligature, the marks then following the ligature. A
// letter joins the one before it when it is right- or dual-joining and
// the one before (transparent marks skipped) is dual-joining or
// join-causing; it joins the one after it when it is dual-joining and the
// next is right- or dual-joining or join-causing. Letters without
// presentation forms, and every other character, are kept; ZWJ and ZWNJ
// decide joins and are kept too (visualOrder drops them). The result has
// as many characters as s less one per ligature, and shaping it again
// changes nothing (presentation forms are non-joining characters).
func shapeArabic(s string) string {
	if !hasArabic(s) {
		return s
	}
	rs := []rune(s)
	types := make([]joining, len(rs))
	for i, r := range rs {
		types[i] = joinType(r)
	}
	// prev and next are the nearest non-transparent characters' types.
	prev := func(i int) joining {
		for j := i - 1; j >= 0; j-- {
			if types[j] != joinTransparent {
				return types[j]
			}
		}
		return joinNone
	}
	nextIndex := func(i int) int {
		for j := i + 1; j < len(rs); j++ {
			if types[j] != joinTransparent {
				return j
			}
		}
		return -1
	}
	joinsBefore := func(i int) bool {
		t := types[i]
		if t != joinRight && t != joinDual && t != joinCausing {
			return false
		}
		p := prev(i)
		return p == joinDual || p == joinLeft || p == joinCausing
	}
	joinsAfter := func(i int) bool {
		t := types[i]
		if t != joinDual && t != joinLeft && t != joinCausing {
			return false
		}
		j := nextIndex(i)
		if j < 0 {
			return false
		}
		n := types[j]
		return n == joinRight || n == joinDual || n == joinCausing
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if r == arabicLam {
			if j := nextIndex(i); j >= 0 {
				if lig, ok := lamAlef[rs[j]]; ok {
					if joinsBefore(i) {
						b.WriteRune(lig[1])
					} else {
						b.WriteRune(lig[0])
					}
					for _, m := range rs[i+1 : j] { // the marks between lam and alef
						b.WriteRune(m)
					}
					i = j
					continue
				}
			}
		}
		forms, ok := arabicForms[r]
		if !ok {
			b.WriteRune(r)
			continue
		}
		before, after := joinsBefore(i), joinsAfter(i)
		var f rune
		switch {
		case before && after:
			f = forms[formMedial]
			if f == 0 { // a dual-joining letter without a medial form (noon ghunna)
				f = forms[formFinal]
			}
		case before:
			f = forms[formFinal]
		case after:
			f = forms[formInitial]
		}
		if f == 0 {
			f = forms[formIsolated]
		}
		b.WriteRune(f)
	}
	return b.String()
}
