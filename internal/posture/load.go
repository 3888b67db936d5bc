package posture

import (
	"context"
	"fmt"

	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
)

// Finder reads stored findings; *store.Store is one.
type Finder interface {
	Findings(ctx context.Context, f store.FindingFilter) ([]model.Finding, error)
}

// pageSize is how many findings Load reads per query.
const pageSize = 5000

// Load reads every stored finding, page by page, and computes the figures.
func Load(ctx context.Context, st Finder, q Query) (Report, error) {
	var all []model.Finding
	filter := store.FindingFilter{Limit: pageSize}
	for {
		page, err := st.Findings(ctx, filter)
		if err != nil {
			return Report{}, fmt.Errorf("posture: reading findings: %w", err)
		}
		for i := range page {
			page[i].Raw, page[i].Description, page[i].Remediation = nil, "", ""
		}
		all = append(all, page...)
		if len(page) < pageSize {
			break
		}
		c := store.FindingCursorOf(page[len(page)-1])
		filter.After = &c
	}
	return Compute(all, q), nil
}
