package stix

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/watchfloor/watchfloor/internal/intel/observable"
	"github.com/watchfloor/watchfloor/internal/model"
)

// Comparison is one equality test of a STIX pattern: an object path and a
// value, e.g. file:hashes.'SHA-256' = 'ef53…'.
type Comparison struct {
	Object   string // ipv4-addr, file …
	Property string // value, hashes.SHA-256 … (quotes removed)
	Value    string
	// Subset is true for ISSUBSET (a network).
	Subset bool
}

// ParsePattern reads a STIX 2.x pattern and returns its equality
// comparisons (= and IN, and ISSUBSET on addresses). Observation
// expressions joined by AND, OR or FOLLOWEDBY, comparisons joined by AND or
// OR, and qualifiers (WITHIN, REPEATS, START … STOP) are accepted; what
// they say about time and combination is not kept, since an indicator is
// matched by any of the values it compares. Negated tests and
// comparisons other than equality (!=, <, LIKE, MATCHES …) are read and
// left out.
func ParsePattern(p string) ([]Comparison, error) {
	toks, err := lex(p)
	if err != nil {
		return nil, err
	}
	ps := &patternParser{toks: toks}
	if err := ps.pattern(0); err != nil {
		return nil, err
	}
	if !ps.done() {
		return nil, fmt.Errorf("unexpected %q at the end of the pattern", ps.peek().text)
	}
	return ps.out, nil
}

type tokKind int

const (
	tokWord   tokKind = iota // identifiers, keywords, object paths, numbers
	tokString                // '…'
	tokPunct                 // [ ] ( ) , and operators
)

type token struct {
	kind tokKind
	text string
}

// lex splits a pattern into tokens. Object paths with quoted keys
// (file:hashes.'SHA-256') are one word; prefixed literals (t'…', h'…',
// b'…') are strings.
func lex(p string) ([]token, error) {
	var out []token
	i := 0
	for i < len(p) {
		c := p[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '\'':
			s, n, err := quoted(p[i:])
			if err != nil {
				return nil, err
			}
			out = append(out, token{tokString, s})
			i += n
		case (c == 't' || c == 'h' || c == 'b') && i+1 < len(p) && p[i+1] == '\'':
			s, n, err := quoted(p[i+1:])
			if err != nil {
				return nil, err
			}
			out = append(out, token{tokString, s})
			i += 1 + n
		case strings.IndexByte("[](),", c) >= 0:
			out = append(out, token{tokPunct, string(c)})
			i++
		case c == '=' || c == '!' || c == '<' || c == '>':
			j := i + 1
			if j < len(p) && p[j] == '=' {
				j++
			}
			op := p[i:j]
			if op == "!" {
				return nil, fmt.Errorf("'!' without '=' at offset %d", i)
			}
			out = append(out, token{tokPunct, op})
			i = j
		default:
			j := i
			for j < len(p) {
				d := p[j]
				if d == '\'' {
					// A quoted key inside an object path: file:hashes.'SHA-256'.
					if j == i || p[j-1] != '.' {
						break
					}
					_, n, err := quoted(p[j:])
					if err != nil {
						return nil, err
					}
					j += n
					continue
				}
				if d == ' ' || d == '\t' || d == '\n' || d == '\r' || strings.IndexByte("()=!<>,", d) >= 0 ||
					(d == '[' && !isIndex(p[j:])) || (d == ']' && !strings.Contains(p[i:j], "[")) {
					break
				}
				j++
			}
			if j == i {
				return nil, fmt.Errorf("unexpected %q at offset %d", c, i)
			}
			out = append(out, token{tokWord, p[i:j]})
			i = j
		}
	}
	return out, nil
}

// isIndex reports whether s starts an object path's list index: [0], [*].
func isIndex(s string) bool {
	end := strings.IndexByte(s, ']')
	if end < 2 {
		return false
	}
	in := s[1:end]
	if in == "*" {
		return true
	}
	for _, r := range in {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// quoted reads a single-quoted string with \' and \\ escapes; it returns
// the text and the bytes consumed.
func quoted(s string) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 >= len(s) {
				return "", 0, errors.New("unterminated string in the pattern")
			}
			i++
			b.WriteByte(s[i])
		case '\'':
			return b.String(), i + 1, nil
		default:
			b.WriteByte(s[i])
		}
	}
	return "", 0, errors.New("unterminated string in the pattern")
}

type patternParser struct {
	toks []token
	pos  int
	out  []Comparison
}

// maxDepth bounds nesting, so hostile patterns cannot exhaust the stack.
const maxDepth = 64

func (p *patternParser) done() bool { return p.pos >= len(p.toks) }

func (p *patternParser) peek() token {
	if p.done() {
		return token{tokPunct, ""}
	}
	return p.toks[p.pos]
}

func (p *patternParser) next() token {
	t := p.peek()
	p.pos++
	return t
}

func (p *patternParser) keyword(words ...string) bool {
	t := p.peek()
	if t.kind != tokWord {
		return false
	}
	for _, w := range words {
		if strings.EqualFold(t.text, w) {
			return true
		}
	}
	return false
}

func (p *patternParser) expect(text string) error {
	if t := p.next(); t.kind != tokPunct || t.text != text {
		if t.text == "" {
			return fmt.Errorf("expected %q, found the end of the pattern", text)
		}
		return fmt.Errorf("expected %q, found %q", text, t.text)
	}
	return nil
}

// pattern := observation ((AND|OR|FOLLOWEDBY) observation)*
func (p *patternParser) pattern(depth int) error {
	if depth > maxDepth {
		return errors.New("pattern nested too deeply")
	}
	for {
		if err := p.observation(depth); err != nil {
			return err
		}
		if !p.keyword("AND", "OR", "FOLLOWEDBY") {
			return nil
		}
		p.next()
	}
}

// observation := ( '[' comparison ']' | '(' pattern ')' ) qualifier*
func (p *patternParser) observation(depth int) error {
	switch t := p.next(); {
	case t.kind == tokPunct && t.text == "[":
		if err := p.comparison(depth+1, false); err != nil {
			return err
		}
		if err := p.expect("]"); err != nil {
			return err
		}
	case t.kind == tokPunct && t.text == "(":
		if err := p.pattern(depth + 1); err != nil {
			return err
		}
		if err := p.expect(")"); err != nil {
			return err
		}
	case t.text == "":
		return errors.New("pattern ends where an observation expression ('[…]') should start")
	default:
		return fmt.Errorf("expected '[' or '(', found %q", t.text)
	}
	return p.qualifiers()
}

// qualifiers reads WITHIN n SECONDS, REPEATS n TIMES, START t STOP t.
func (p *patternParser) qualifiers() error {
	for {
		switch {
		case p.keyword("WITHIN"):
			p.next()
			p.next()
			if !p.keyword("SECONDS") {
				return errors.New("WITHIN needs a number of SECONDS")
			}
			p.next()
		case p.keyword("REPEATS"):
			p.next()
			p.next()
			if !p.keyword("TIMES") {
				return errors.New("REPEATS needs a number of TIMES")
			}
			p.next()
		case p.keyword("START"):
			p.next()
			if p.next().kind != tokString || !p.keyword("STOP") {
				return errors.New("START needs a timestamp and STOP")
			}
			p.next()
			if p.next().kind != tokString {
				return errors.New("STOP needs a timestamp")
			}
		default:
			return nil
		}
	}
}

// comparison := test ((AND|OR) test)*; test := '(' comparison ')' | path [NOT] op value | EXISTS path
func (p *patternParser) comparison(depth int, negated bool) error {
	if depth > maxDepth {
		return errors.New("pattern nested too deeply")
	}
	for {
		if p.peek().kind == tokPunct && p.peek().text == "(" {
			p.next()
			if err := p.comparison(depth+1, negated); err != nil {
				return err
			}
			if err := p.expect(")"); err != nil {
				return err
			}
		} else if err := p.test(negated); err != nil {
			return err
		}
		if !p.keyword("AND", "OR") {
			return nil
		}
		p.next()
	}
}

func (p *patternParser) test(negated bool) error {
	if p.keyword("EXISTS") {
		p.next()
		if p.next().kind != tokWord {
			return errors.New("EXISTS needs an object path")
		}
		return nil
	}
	path := p.next()
	if path.kind != tokWord || !strings.Contains(path.text, ":") {
		if path.text == "" {
			return errors.New("pattern ends where a comparison should start")
		}
		return fmt.Errorf("expected an object path such as ipv4-addr:value, found %q", path.text)
	}
	obj, prop, _ := strings.Cut(path.text, ":")
	if obj == "" || prop == "" {
		return fmt.Errorf("object path %q needs an object type and a property", path.text)
	}
	if p.keyword("NOT") {
		p.next()
		negated = !negated
	}
	op := p.next()
	switch {
	case op.kind == tokPunct && (op.text == "=" || op.text == "!=" || op.text == "<" || op.text == ">" || op.text == "<=" || op.text == ">="):
		v := p.next()
		if v.kind == tokPunct {
			return fmt.Errorf("comparison on %s needs a value", path.text)
		}
		if op.text == "=" && !negated && v.kind == tokString {
			p.add(obj, prop, v.text, false)
		}
	case op.kind == tokWord && strings.EqualFold(op.text, "IN"):
		if err := p.expect("("); err != nil {
			return err
		}
		for {
			v := p.next()
			if v.kind == tokPunct {
				return fmt.Errorf("IN on %s needs a list of values", path.text)
			}
			if !negated && v.kind == tokString {
				p.add(obj, prop, v.text, false)
			}
			if p.peek().text == "," {
				p.next()
				continue
			}
			break
		}
		return p.expect(")")
	case op.kind == tokWord && (strings.EqualFold(op.text, "ISSUBSET") || strings.EqualFold(op.text, "ISSUPERSET") ||
		strings.EqualFold(op.text, "LIKE") || strings.EqualFold(op.text, "MATCHES")):
		v := p.next()
		if v.kind != tokString {
			return fmt.Errorf("%s on %s needs a string", strings.ToUpper(op.text), path.text)
		}
		if strings.EqualFold(op.text, "ISSUBSET") && !negated && prop == "value" && (obj == "ipv4-addr" || obj == "ipv6-addr") {
			p.add(obj, prop, v.text, true)
		}
	default:
		if op.text == "" {
			return fmt.Errorf("comparison on %s has no operator", path.text)
		}
		return fmt.Errorf("unknown operator %q after %s", op.text, path.text)
	}
	return nil
}

func (p *patternParser) add(obj, prop, value string, subset bool) {
	prop = strings.ReplaceAll(prop, "'", "")
	p.out = append(p.out, Comparison{Object: strings.ToLower(obj), Property: prop, Value: value, Subset: subset})
}

// propertyKinds maps object paths onto observable kinds.
var propertyKinds = map[string]observable.Kind{
	"ipv4-addr:value": observable.IP, "ipv6-addr:value": observable.IP,
	"domain-name:value": observable.Domain, "url:value": observable.URL, "email-addr:value": observable.Email,
	"email-message:from_ref.value": observable.Email, "email-message:sender_ref.value": observable.Email,
	"network-traffic:dst_ref.value": observable.IP, "network-traffic:src_ref.value": observable.IP,
}

// Observable turns a comparison into the observable it names: addresses,
// networks, domains, URLs, e-mail addresses and file hashes by algorithm;
// other paths become a kind named after the path (mutex:name →
// "mutex-name"), matched against entities of that type.
func (c Comparison) Observable() (model.IndicatorObservable, error) {
	path := c.Object + ":" + c.Property
	kind, ok := propertyKinds[path]
	switch {
	case ok:
	case c.Object == "file" && strings.HasPrefix(c.Property, "hashes."):
		k, known := observable.KindOf(strings.TrimPrefix(c.Property, "hashes."))
		if !known {
			return model.IndicatorObservable{}, fmt.Errorf("%s: hash algorithm %q is not MD5, SHA-1, SHA-256 or SHA-512", path, strings.TrimPrefix(c.Property, "hashes."))
		}
		kind = k
	default:
		kind, _ = observable.KindOf(c.Object + "-" + c.Property)
	}
	if (kind == observable.Domain || kind == observable.IP) && c.Object == "network-traffic" {
		kind = observable.Domain // dst_ref may be an address or a domain; Domain accepts both
	}
	o, err := observable.Normalize(kind, c.Value)
	if err != nil {
		return model.IndicatorObservable{}, fmt.Errorf("%s = %q: %w", path, c.Value, err)
	}
	return model.IndicatorObservable{Kind: string(o.Kind), Value: o.Value}, nil
}
