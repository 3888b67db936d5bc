package store

import (
	"context"
	"fmt"
)

// DeleteUserSessions ends every session of a user (after a password change
// or when the account is disabled) and returns how many there were.
func (s *Store) DeleteUserSessions(ctx context.Context, userID int64) (int64, error) {
	var n int64
	err := s.authWrite(ctx, func(c dbConn) error {
		res, err := c.ExecContext(ctx, s.rebind(`DELETE FROM sessions WHERE user_id = ?`), userID)
		if err != nil {
			return fmt.Errorf("deleting the sessions of user %d: %w", userID, err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}
