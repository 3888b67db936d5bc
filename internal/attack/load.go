package attack

import (
	"bytes"
	_ "embed"
	"fmt"
	"sync"
)

// EmbeddedVersion is the ATT&CK Enterprise release [Load] returns.
const EmbeddedVersion = "18.1"

// embedded is the slimmed ATT&CK Enterprise bundle, gzipped (see doc.go).
//
//go:embed enterprise-attack.json.gz
var embedded []byte

var load = sync.OnceValues(loadEmbedded)

// Load returns the ATT&CK Enterprise catalog embedded in the binary. It is
// parsed on the first call; later calls return the same Catalog.
func Load() (*Catalog, error) {
	return load()
}

func loadEmbedded() (*Catalog, error) {
	c, err := Parse(bytes.NewReader(embedded))
	if err != nil {
		return nil, fmt.Errorf("loading the embedded ATT&CK catalog: %w", err)
	}
	return c, nil
}
