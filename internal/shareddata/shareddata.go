// Package shareddata finds the real third-party samples that tests read from
// the shared/data folder beside the repository, skipping a test with a clear
// message when a sample is not there.
package shareddata

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the shared data folder: $WATCHFLOOR_SHARED_DATA, or
// ../shared/data relative to the repository root (the folder with go.mod).
// It returns "" when neither exists.
func Dir() string {
	if d := os.Getenv("WATCHFLOOR_SHARED_DATA"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			p := filepath.Join(filepath.Dir(d), "shared", "data")
			if _, err := os.Stat(p); err == nil {
				return p
			}
			return ""
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// Path returns the path of a shared sample (elements joined below Dir), or
// skips the test when it is missing.
func Path(t testing.TB, elem ...string) string {
	t.Helper()
	d := Dir()
	if d == "" {
		t.Skip("shared/data not found beside the repository (set WATCHFLOOR_SHARED_DATA); skipping test on real samples")
	}
	p := filepath.Join(append([]string{d}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared sample %s missing: %v", p, err)
	}
	return p
}
