package budget

import (
	"github.com/watchfloor/watchfloor/internal/model"
	"github.com/watchfloor/watchfloor/internal/store"
)

// LoadedRates returns the loaded hourly cost per tier that the budget
// plan uses (the configured tier costs, else the mean hourly cost of the
// tier's analysts on the roster; annual costs over contractHours a week),
// and where each came from. Other features price people's time with it.
func LoadedRates(ro store.Roster, c Config, contractHours float64) (map[string]float64, []string, error) {
	return tierCosts(ro, c, contractHours)
}

// TierOf is the tier an analyst is priced at ("untiered" when none).
func TierOf(a model.Analyst) string { return tierOf(a) }
