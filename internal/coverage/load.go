package coverage

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/watchfloor/watchfloor/internal/attack"
	"github.com/watchfloor/watchfloor/internal/ingest/native"
	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
)

// Problem is a file, or a record in a file, that did not load.
type Problem struct {
	// Path is the file relative to the folder; for native records it is
	// followed by the record's location (":3" for a line, ":$[2]" for an
	// array element).
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Loaded is what Read found in a folder of detection content.
type Loaded struct {
	// Files is how many content files were read (other files are ignored).
	Files    int                  `json:"files"`
	Rules    []store.ImportedRule `json:"-"`
	Problems []Problem            `json:"problems"`
}

var (
	sigmaKey  = regexp.MustCompile(`(?m)^(detection|logsource|correlation):`)
	splunkKey = regexp.MustCompile(`(?m)^search:`)
)

// detect names the format of one file: native for .json, .ndjson and
// .jsonl, and for YAML files Sigma when a top-level detection, logsource or
// correlation key is there, Splunk when a top-level search key is; "" when
// the file is neither.
func detect(name string, data []byte) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".json", ".ndjson", ".jsonl":
		return FormatNative
	case ".yml", ".yaml":
		switch {
		case sigmaKey.Match(data):
			return FormatSigma
		case splunkKey.Match(data):
			return FormatSplunk
		}
	}
	return ""
}

// contentFile reports whether a file of that name can hold content of the
// format ("" for any).
func contentFile(name, format string) bool {
	ext := strings.ToLower(path.Ext(name))
	yamlFile := ext == ".yml" || ext == ".yaml"
	jsonFile := ext == ".json" || ext == ".ndjson" || ext == ".jsonl"
	switch format {
	case FormatSigma, FormatSplunk:
		return yamlFile
	case FormatNative:
		return jsonFile
	}
	return yamlFile || jsonFile
}

// Read parses every content file under fsys (hidden files and folders
// skipped): Sigma and Splunk rules from .yml/.yaml files, native rule
// records from .json/.ndjson/.jsonl files. With format "" each file's
// format is detected from its content. A file (or native record) that is
// not a valid rule is reported in Problems with its path and the reason,
// and the others still load; a rule id seen twice is reported at its
// second file.
func Read(ctx context.Context, cat *attack.Catalog, fsys fs.FS, format string) (*Loaded, error) {
	if format != "" && !contains(Formats, format) {
		return nil, fmt.Errorf("unknown content format %q (want %s)", format, strings.Join(Formats, ", "))
	}
	out := &Loaded{Problems: []Problem{}}
	seen := map[[2]string]string{}
	add := func(r model.Rule, p, h string) {
		key := [2]string{r.Source, r.ExternalID}
		if first, ok := seen[key]; ok {
			out.Problems = append(out.Problems, Problem{Path: p, Reason: fmt.Sprintf("%s rule id %q already read from %s", r.Source, r.ExternalID, first)})
			return
		}
		seen[key] = p
		out.Rules = append(out.Rules, store.ImportedRule{Rule: r, Path: p, Hash: h})
	}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			out.Problems = append(out.Problems, Problem{Path: p, Reason: err.Error()})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if p != "." && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() || !d.Type().IsRegular() || !contentFile(p, format) {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			out.Problems = append(out.Problems, Problem{Path: p, Reason: err.Error()})
			return nil
		}
		out.Files++
		f := format
		if f == "" {
			if f = detect(p, data); f == "" {
				out.Problems = append(out.Problems, Problem{Path: p, Reason: "neither a Sigma rule (no top-level detection or logsource) nor a Splunk detection (no top-level search)"})
				return nil
			}
		}
		switch f {
		case FormatSigma, FormatSplunk:
			parse := ParseSigma
			if f == FormatSplunk {
				parse = ParseSplunk
			}
			r, err := parse(cat, data)
			if err != nil {
				out.Problems = append(out.Problems, Problem{Path: p, Reason: err.Error()})
				return nil
			}
			add(r, p, hash(data))
		case FormatNative:
			return readNative(ctx, cat, p, data, add, func(pr Problem) { out.Problems = append(out.Problems, pr) })
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading detection content: %w", err)
	}
	sort.SliceStable(out.Problems, func(i, j int) bool { return out.Problems[i].Path < out.Problems[j].Path })
	return out, nil
}

// readNative reads the rule records of one native JSON or NDJSON file.
// Records of other types are problems: a content folder holds rules.
func readNative(ctx context.Context, cat *attack.Catalog, p string, data []byte, add func(model.Rule, string, string), problem func(Problem)) error {
	parser := native.Parser{Default: native.TypeRule}
	return parser.Parse(ctx, bytes.NewReader(data), p, func(rec record.Record) error {
		switch {
		case rec.Err != nil:
			problem(Problem{Path: rec.Loc, Reason: rec.Err.Error()})
		case rec.Rule == nil:
			problem(Problem{Path: rec.Loc, Reason: "not a rule record"})
		default:
			r := *rec.Rule
			techs, tacs, unknown := tags(cat, r.Techniques, r.Tactics)
			if len(unknown) > 0 {
				problem(Problem{Path: rec.Loc, Reason: fmt.Sprintf("rule %q: %q is neither an ATT&CK technique ID nor a tactic", r.ExternalID, unknown[0])})
				return nil
			}
			if len(tacs) == 0 {
				tacs = tacticsOf(cat, techs)
			}
			r.Source, r.Techniques, r.Tactics = FormatNative, techs, tacs
			r.DataSources, r.Platforms = clean(r.DataSources), clean(r.Platforms)
			b, err := json.Marshal(r)
			if err != nil {
				return err
			}
			add(r, p, hash(b))
		}
		return nil
	})
}

func contains(vs []string, v string) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}
