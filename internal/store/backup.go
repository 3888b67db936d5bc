package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"modernc.org/sqlite"
)

// ErrBackupEngine is returned by Backup and Restore on PostgreSQL, whose
// backups are pg_dump's and pg_restore's job (see the README).
var ErrBackupEngine = errors.New("backup and restore copy SQLite stores; for PostgreSQL use pg_dump and pg_restore (README, \"Running in production\") and check the result with watchfloor doctor")

// ErrNotEmpty is returned by Restore when the target store already holds
// data and the caller did not force the restore.
var ErrNotEmpty = errors.New("the target store is not empty")

// BackupInfo describes a verified SQLite backup file.
type BackupInfo struct {
	Path          string           `json:"path"`
	Bytes         int64            `json:"bytes"`
	SchemaVersion int              `json:"schema_version"`
	Counts        map[string]int64 `json:"counts"`
	Users         int64            `json:"users"`
	Took          time.Duration    `json:"took_ns,omitempty"`
}

// Backup writes a consistent copy of a SQLite store to out with VACUUM
// INTO: one read transaction, so writers (serve, ingest) carry on while it
// runs and the copy is the store as of that transaction's start. The copy
// is written beside out under a temporary name, checked with
// VerifyBackup, synced and only then renamed to out, so out is either a
// verified backup or absent. An existing out is never overwritten.
func (s *Store) Backup(ctx context.Context, out string) (BackupInfo, error) {
	start := time.Now()
	if s.engine != SQLite {
		return BackupInfo{}, ErrBackupEngine
	}
	if _, err := os.Stat(out); err == nil {
		return BackupInfo{}, fmt.Errorf("backing up to %s: the file exists (backups never overwrite)", out)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return BackupInfo{}, fmt.Errorf("backing up to %s: %w", out, err)
	}
	dir := filepath.Dir(out)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return BackupInfo{}, fmt.Errorf("creating the backup folder: %w", err)
	}
	tmp := filepath.Join(dir, "."+filepath.Base(out)+".partial-"+randomSuffix())
	defer os.Remove(tmp)
	// A connection of its own, read only: VACUUM INTO reads the store in
	// one read transaction and writes only the new file, so neither this
	// process's writer nor another process's waits for it.
	db, err := sql.Open("sqlite", "file:"+s.path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return BackupInfo{}, fmt.Errorf("opening %s: %w", s.path, err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, tmp); err != nil {
		return BackupInfo{}, fmt.Errorf("copying the store to %s: %w", out, err)
	}
	info, err := VerifyBackup(ctx, tmp)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("checking the copy: %w", err)
	}
	if err := syncFile(tmp); err != nil {
		return BackupInfo{}, err
	}
	if err := os.Link(tmp, out); err != nil { // fails, rather than replaces, when out appeared meanwhile
		return BackupInfo{}, fmt.Errorf("naming the backup %s: %w", out, err)
	}
	syncDir(dir)
	info.Path = out
	info.Took = time.Since(start)
	return info, nil
}

// VerifyBackup checks a SQLite file as a Watchfloor store: it opens it read
// only, runs SQLite's full integrity check, and reads its schema version and
// row counts. A truncated, corrupted or foreign file is an error saying
// what failed.
func VerifyBackup(ctx context.Context, path string) (BackupInfo, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("reading %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return BackupInfo{}, fmt.Errorf("%s is not a regular file", path)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=query_only(1)")
	if err != nil {
		return BackupInfo{}, fmt.Errorf("opening %s: %w", path, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	problems, err := integrityCheck(ctx, db)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("%s is not a readable SQLite database: %w", path, err)
	}
	if len(problems) > 0 {
		return BackupInfo{}, fmt.Errorf("%s fails the integrity check: %s", path, strings.Join(problems, "; "))
	}
	info := BackupInfo{Path: path, Bytes: fi.Size()}
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&info.SchemaVersion); err != nil {
		return BackupInfo{}, fmt.Errorf("%s is not a Watchfloor store (no migration history): %w", path, err)
	}
	info.Counts = map[string]int64{}
	for _, t := range Tables {
		var n int64
		// Table names come from the fixed list, never from input. A table
		// newer than the file's schema is counted as absent.
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+t).Scan(&n); err != nil {
			if strings.Contains(err.Error(), "no such table") {
				continue
			}
			return BackupInfo{}, fmt.Errorf("counting %s in %s: %w", t, path, err)
		}
		info.Counts[t] = n
	}
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&info.Users); err != nil && !strings.Contains(err.Error(), "no such table") {
		return BackupInfo{}, fmt.Errorf("counting users in %s: %w", path, err)
	}
	return info, nil
}

// integrityCheck runs PRAGMA integrity_check and returns its complaints
// (none when the database is sound).
func integrityCheck(ctx context.Context, db interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}) ([]string, error) {
	rows, err := db.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return nil, err
		}
		if line != "ok" {
			out = append(out, line)
		}
	}
	return out, rows.Err()
}

// Restore replaces the SQLite store at dst with the backup file src. The
// backup is verified first (a corrupted file is refused before anything is
// touched); a dst that holds alerts, cases, reference data or users is
// refused with ErrNotEmpty unless force is set. The copy goes through
// SQLite's backup API into dst, under dst's write lock, so a reader never
// sees half a store. dst is not migrated here: the next Open upgrades a
// backup made by an older release.
func Restore(ctx context.Context, src, dst string, force bool) (BackupInfo, error) {
	if IsPostgres(dst) {
		return BackupInfo{}, ErrBackupEngine
	}
	info, err := VerifyBackup(ctx, src)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("refusing to restore: %w", err)
	}
	if abs1, err1 := filepath.Abs(src); err1 == nil {
		if abs2, err2 := filepath.Abs(dst); err2 == nil && abs1 == abs2 {
			return BackupInfo{}, errors.New("refusing to restore a store onto itself")
		}
	}
	if ok, err := Exists(ctx, dst); err != nil {
		return BackupInfo{}, err
	} else if ok && !force {
		rows, err := storeRows(ctx, dst)
		if err != nil {
			return BackupInfo{}, err
		}
		if rows > 0 {
			return BackupInfo{}, fmt.Errorf("%w: %s holds %d rows (pass --force to replace them)", ErrNotEmpty, dst, rows)
		}
	}
	if dir := filepath.Dir(dst); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return BackupInfo{}, fmt.Errorf("creating the store's folder: %w", err)
		}
	}
	db, err := sql.Open("sqlite", "file:"+dst+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return BackupInfo{}, fmt.Errorf("opening %s: %w", dst, err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("opening %s: %w", dst, err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		r, ok := dc.(interface {
			NewRestore(string) (*sqlite.Backup, error)
		})
		if !ok {
			return errors.New("the SQLite driver has no backup API")
		}
		b, err := r.NewRestore("file:" + src + "?mode=ro")
		if err != nil {
			return err
		}
		for {
			more, err := b.Step(1024)
			if err != nil {
				b.Finish()
				return err
			}
			if !more {
				break
			}
			if ctx.Err() != nil {
				b.Finish()
				return ctx.Err()
			}
		}
		return b.Finish()
	})
	if err != nil {
		return BackupInfo{}, fmt.Errorf("restoring %s into %s: %w", src, dst, err)
	}
	if problems, err := integrityCheck(ctx, conn); err != nil || len(problems) > 0 {
		return BackupInfo{}, fmt.Errorf("the restored store fails the integrity check: %v %s", err, strings.Join(problems, "; "))
	}
	return info, nil
}

// storeRows counts the rows a restore would replace: the data tables and
// the accounts.
func storeRows(ctx context.Context, path string) (int64, error) {
	info, err := VerifyBackup(ctx, path)
	if err != nil {
		return 0, fmt.Errorf("reading the target store: %w", err)
	}
	n := info.Users
	for _, c := range info.Counts {
		n += c
	}
	return n, nil
}

func randomSuffix() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("syncing %s: %w", path, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", path, err)
	}
	return nil
}

// syncDir makes a rename in dir durable (best effort: not every file
// system syncs folders).
func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		f.Sync()
		f.Close()
	}
}
