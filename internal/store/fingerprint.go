package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// intelBookkeeping are the intelligence tables' columns that say when
// Watchfloor changed, hunted or matched a record, not what it holds.
var intelBookkeeping = map[string]bool{"changed_at": true, "seq": true, "matched_at": true}

// Fingerprint digests the content of every data table in id order, leaving
// out ingestion times. Two stores holding the same data have the same
// fingerprint, whatever engine and whenever they ingested; it is how tests
// show that re-ingesting an input leaves the store identical.
func (s *Store) Fingerprint(ctx context.Context) (string, error) {
	h := sha256.New()
	for _, t := range Tables {
		// Table names come from the fixed list, never from input.
		rows, err := s.r.QueryContext(ctx, `SELECT * FROM `+t+` ORDER BY 1, 2`)
		if err != nil {
			return "", fmt.Errorf("fingerprinting %s: %w", t, err)
		}
		cols, err := rows.Columns()
		if err != nil {
			rows.Close()
			return "", fmt.Errorf("fingerprinting %s: %w", t, err)
		}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		fmt.Fprintf(h, "table %s\n", t)
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return "", fmt.Errorf("fingerprinting %s: %w", t, err)
			}
			for i, c := range cols {
				if c == "ingested_at" || (t == "alert_events" && c == "at") || intelBookkeeping[c] {
					continue // when it was ingested, not what
				}
				switch v := vals[i].(type) {
				case []byte:
					fmt.Fprintf(h, "%q,", v)
				case nil:
					h.Write([]byte("NULL,"))
				default:
					fmt.Fprintf(h, "%v,", v)
				}
			}
			h.Write([]byte("\n"))
		}
		if err := rows.Close(); err != nil {
			return "", fmt.Errorf("fingerprinting %s: %w", t, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
