package store

import (
	"encoding/json"

	"github.com/watchfloor/watchfloor/internal/model"
)

// How Go values are written to and read from columns.

func jsonText(v any) string {
	switch x := v.(type) {
	case []string:
		if len(x) == 0 {
			return ""
		}
		return stringsJSON(x)
	case []model.Entity:
		if len(x) == 0 {
			return ""
		}
		return entitiesJSON(x)
	case map[string]string:
		if len(x) == 0 {
			return ""
		}
	case []model.Skill:
		if len(x) == 0 {
			return ""
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func decodeJSONText(s string, v any) error {
	if s == "" {
		return nil
	}
	return json.Unmarshal([]byte(s), v)
}
