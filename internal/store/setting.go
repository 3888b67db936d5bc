package store

import (
	"context"
	"fmt"
)

// SetSetting stores a setting's value, replacing any earlier one. Settings
// that change how data is bucketed have their own setters (SetTimeZone).
func (s *Store) SetSetting(ctx context.Context, name, value string) error {
	if name == SettingTimeZone {
		return s.SetTimeZone(ctx, value)
	}
	return s.recordWrite(ctx, func(c dbConn) error {
		if _, err := c.ExecContext(ctx, s.rebind(`INSERT INTO settings (name, value) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`), name, value); err != nil {
			return fmt.Errorf("saving setting %s: %w", name, err)
		}
		return nil
	})
}
