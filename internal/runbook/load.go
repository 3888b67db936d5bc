package runbook

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// Link is a reference from one runbook to another file (a common step, a
// sub-runbook). Path is the file it resolves to inside the folder, empty
// when it is broken, and Broken then says why.
type Link struct {
	Target string `json:"target"` // as written
	Line   int    `json:"line"`
	Step   string `json:"step,omitempty"` // the step that names it
	Path   string `json:"path,omitempty"`
	Broken string `json:"broken,omitempty"`
}

// BrokenLink is a broken link with the runbook that wrote it.
type BrokenLink struct {
	From string `json:"from"` // path of the linking runbook
	Link
}

func (b BrokenLink) String() string {
	return fmt.Sprintf("%s:%d: link %s: %s", b.From, b.Line, b.Target, b.Broken)
}

// Folder is a folder of runbooks as loaded.
type Folder struct {
	// Files counts the Markdown files seen.
	Files int
	// Docs are the valid runbooks, by path.
	Docs []*Document
	// Problems are the files that are not valid runbooks, by path; they
	// are left out and the rest load.
	Problems []*ParseError
	// Broken lists the links that resolve to no file in the folder.
	Broken []BrokenLink
}

// Load reads every Markdown file under fsys (hidden files and folders
// skipped), parses each, checks ids are unique, and resolves links. root
// is the folder's own path (slash-separated; "" when unknown): a link
// written as a repository path ending in it, such as
// "rules_bank/run_books/triage_alerts.md" for root
// ".../rules_bank/run_books", resolves into the folder.
func Load(fsys fs.FS, root string) (*Folder, error) {
	f := &Folder{}
	files := map[string]bool{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == "." {
				return err
			}
			f.Problems = append(f.Problems, &ParseError{Path: p, Reason: "unreadable: " + err.Error()})
			return nil
		}
		if p != "." && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() || !strings.EqualFold(path.Ext(p), ".md") || !d.Type().IsRegular() {
			return nil
		}
		f.Files++
		files[p] = true
		info, err := d.Info()
		if err == nil && info.Size() > MaxFileSize {
			f.Problems = append(f.Problems, &ParseError{Path: p, Reason: fmt.Sprintf("larger than %d bytes", MaxFileSize)})
			return nil
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			f.Problems = append(f.Problems, &ParseError{Path: p, Reason: "unreadable: " + err.Error()})
			return nil
		}
		doc, err := Parse(p, b)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				pe = &ParseError{Path: p, Reason: err.Error()}
			}
			f.Problems = append(f.Problems, pe)
			return nil
		}
		f.Docs = append(f.Docs, doc)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading runbook folder: %w", err)
	}
	sort.Slice(f.Docs, func(i, j int) bool { return f.Docs[i].Path < f.Docs[j].Path })
	// Ids must be unique: the first file (in path order) keeps its id.
	byID := map[string]string{}
	kept := f.Docs[:0]
	for _, d := range f.Docs {
		if other, dup := byID[d.ID]; dup {
			f.Problems = append(f.Problems, &ParseError{Path: d.Path, Reason: fmt.Sprintf("id %q is already used by %s", d.ID, other)})
			continue
		}
		byID[d.ID] = d.Path
		kept = append(kept, d)
	}
	f.Docs = kept
	sort.Slice(f.Problems, func(i, j int) bool { return f.Problems[i].Path < f.Problems[j].Path })
	prefixes := rootPrefixes(root)
	for _, d := range f.Docs {
		for i := range d.Links {
			l := &d.Links[i]
			l.Path, l.Broken = resolve(d.Path, l.Target, files, prefixes)
			if l.Broken != "" {
				f.Broken = append(f.Broken, BrokenLink{From: d.Path, Link: *l})
			}
		}
	}
	return f, nil
}

// rootPrefixes are the trailing parts of the folder's path, longest
// first: "a/rules_bank/run_books/", "rules_bank/run_books/", "run_books/".
func rootPrefixes(root string) []string {
	root = strings.Trim(path.Clean(strings.ReplaceAll(root, "\\", "/")), "/")
	if root == "" || root == "." {
		return nil
	}
	parts := strings.Split(root, "/")
	var out []string
	for i := range parts {
		out = append(out, strings.Join(parts[i:], "/")+"/")
	}
	return out
}

// resolve finds the file a link names: relative to the linking file, then
// to the folder's root, then as a repository path ending in the folder.
func resolve(from, target string, files map[string]bool, prefixes []string) (string, string) {
	t := strings.ReplaceAll(target, "\\", "/")
	abs := strings.HasPrefix(t, "/")
	t = strings.TrimLeft(t, "/")
	var tried []string
	try := func(p string) bool {
		p = path.Clean(p)
		if p == ".." || strings.HasPrefix(p, "../") {
			return false
		}
		tried = append(tried, p)
		return files[p]
	}
	if !abs {
		if p := path.Join(path.Dir(from), t); try(p) {
			return path.Clean(p), ""
		}
	}
	if try(t) {
		return path.Clean(t), ""
	}
	for _, pre := range prefixes {
		if rest, ok := strings.CutPrefix(t, pre); ok && try(rest) {
			return path.Clean(rest), ""
		}
	}
	if len(tried) == 0 {
		return "", "points outside the synced folder"
	}
	return "", "no such file in the synced folder (tried " + strings.Join(dedupe(tried), ", ") + ")"
}

func dedupe(in []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
