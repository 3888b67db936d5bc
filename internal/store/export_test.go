package store

import "context"

// MarkAlertRollupsPending puts s in the state of a store migrated from before
// alert rollups were kept: none kept, their build from the rows pending.
func MarkAlertRollupsPending(ctx context.Context, s *Store) error {
	_, err := s.write(ctx, func(a *applier) error {
		if _, err := a.exec(`DELETE FROM alert_rollups`); err != nil {
			return err
		}
		_, err := a.exec(`INSERT INTO alert_rollups_rebuild (pending) VALUES (1)`)
		return err
	})
	return err
}
