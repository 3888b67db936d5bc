package coverage

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/watchfloor/watchfloor/internal/attack"
)

// Settings holding an ATT&CK bundle loaded with `watchfloor attack load`:
// the bundle (gzipped, base64) and where it came from.
const (
	SettingBundle       = "attack_bundle"
	SettingBundleSource = "attack_bundle_source"
)

// BundleStore reads and writes settings.
type BundleStore interface {
	Setting(ctx context.Context, name string) (string, error)
	SetSetting(ctx context.Context, name, value string) error
}

// maxBundleBytes bounds a bundle read from a file (the full ATT&CK
// Enterprise bundle is about 45 MB).
const maxBundleBytes = 200 << 20

// LoadBundle parses an ATT&CK STIX bundle (gzipped or plain) and, when it
// parses and holds tactics and techniques, stores it as the catalog
// coverage uses instead of the embedded one; source says where it came
// from. Tactics are the bundle's own, so a version that renames or splits
// tactics is summed as it has them.
func LoadBundle(ctx context.Context, st BundleStore, data []byte, source string, now time.Time) (*attack.Catalog, error) {
	if len(data) > maxBundleBytes {
		return nil, fmt.Errorf("ATT&CK bundle larger than %d MiB", maxBundleBytes>>20)
	}
	cat, err := attack.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	if len(cat.Tactics()) == 0 || len(cat.Techniques()) == 0 {
		return nil, fmt.Errorf("the bundle holds %d tactics and %d techniques: not an ATT&CK matrix", len(cat.Tactics()), len(cat.Techniques()))
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if len(data) > 1 && data[0] == 0x1f && data[1] == 0x8b {
		buf.Write(data)
	} else {
		if _, err := zw.Write(data); err != nil {
			return nil, err
		}
		if err := zw.Close(); err != nil {
			return nil, err
		}
	}
	if err := st.SetSetting(ctx, SettingBundle, base64.StdEncoding.EncodeToString(buf.Bytes())); err != nil {
		return nil, err
	}
	label := fmt.Sprintf("%s, loaded %s: %d tactics, %d techniques", source, now.UTC().Format(time.DateOnly), len(cat.Tactics()), len(cat.Techniques()))
	if err := st.SetSetting(ctx, SettingBundleSource, label); err != nil {
		return nil, err
	}
	return cat, nil
}

// ResetBundle goes back to the embedded catalog.
func ResetBundle(ctx context.Context, st BundleStore) error {
	if err := st.SetSetting(ctx, SettingBundle, ""); err != nil {
		return err
	}
	return st.SetSetting(ctx, SettingBundleSource, "")
}

var bundleCache struct {
	sync.Mutex
	key string
	cat *attack.Catalog
}

// StoredCatalog returns the catalog of the bundle loaded with LoadBundle
// and what it is, or the embedded catalog and its version when none is
// stored. A stored bundle is parsed once per process and content.
func StoredCatalog(ctx context.Context, st BundleStore) (*attack.Catalog, string, error) {
	enc, err := st.Setting(ctx, SettingBundle)
	if err != nil {
		return nil, "", err
	}
	if enc == "" {
		cat, err := attack.Load()
		return cat, attack.EmbeddedVersion, err
	}
	label, err := st.Setting(ctx, SettingBundleSource)
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256([]byte(enc))
	key := hex.EncodeToString(sum[:])
	bundleCache.Lock()
	defer bundleCache.Unlock()
	if bundleCache.key == key {
		return bundleCache.cat, label, nil
	}
	data, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return nil, "", fmt.Errorf("stored ATT&CK bundle: %w", err)
	}
	cat, err := attack.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, "", fmt.Errorf("stored ATT&CK bundle: %w", err)
	}
	bundleCache.key, bundleCache.cat = key, cat
	return cat, strings.TrimSpace(label), nil
}
