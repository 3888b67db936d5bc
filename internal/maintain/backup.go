// Package maintain runs the upkeep a long-lived store needs while serve
// runs: backups on a schedule with rotation. Each run is recorded in the
// audit log through the Auditor the caller gives.
package maintain

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/watchfloor/watchfloor/internal/store"
)

// Auditor records a write made by the server's own jobs.
type Auditor interface {
	Audit(ctx context.Context, e store.AuditEntry) error
}

// backupPrefix and backupLayout name scheduled backups:
// watchfloor-20261206T162400Z.db, which sort by time.
const (
	backupPrefix = "watchfloor-"
	backupSuffix = ".db"
	backupLayout = "20060102T150405Z"
)

// BackupName is the file name of a scheduled backup taken at t.
func BackupName(t time.Time) string {
	return backupPrefix + t.UTC().Format(backupLayout) + backupSuffix
}

// backupTime parses a scheduled backup's file name; ok is false for any
// other file, which rotation never touches.
func backupTime(name string) (time.Time, bool) {
	s, ok := strings.CutPrefix(name, backupPrefix)
	if !ok {
		return time.Time{}, false
	}
	if s, ok = strings.CutSuffix(s, backupSuffix); !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(backupLayout, s)
	return t, err == nil
}

// Backups takes a backup of a SQLite store into Dir every Every and keeps
// the newest Keep of them.
type Backups struct {
	Store *store.Store
	Dir   string
	Every time.Duration
	Keep  int
	Log   *slog.Logger
	Audit Auditor
	Now   func() time.Time // the clock; time.Now when nil
}

func (b *Backups) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

// Run takes a backup when the newest one in Dir is at least Every old (so
// a restarted server does not take one at every start), then on every
// tick, until ctx ends.
func (b *Backups) Run(ctx context.Context) {
	for {
		wait := b.Every
		if last, err := b.newest(); err != nil {
			b.Log.Error("reading the backup folder", "dir", b.Dir, "err", err)
		} else if due := last.Add(b.Every); !due.After(b.now()) {
			if _, err := b.Once(ctx); err != nil && ctx.Err() == nil {
				b.Log.Error("scheduled backup failed", "err", err)
			}
		} else {
			wait = due.Sub(b.now())
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// newest is the time of the newest scheduled backup in Dir (zero without
// one).
func (b *Backups) newest() (time.Time, error) {
	files, err := b.list()
	if err != nil || len(files) == 0 {
		return time.Time{}, err
	}
	return files[len(files)-1].at, nil
}

type backupFile struct {
	name string
	at   time.Time
}

// list returns the scheduled backups in Dir, oldest first.
func (b *Backups) list() ([]backupFile, error) {
	entries, err := os.ReadDir(b.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []backupFile
	for _, e := range entries {
		if t, ok := backupTime(e.Name()); ok && e.Type().IsRegular() {
			out = append(out, backupFile{e.Name(), t})
		}
	}
	slices.SortFunc(out, func(x, y backupFile) int { return x.at.Compare(y.at) })
	return out, nil
}

// Once takes one backup now, verifies it, records it in the audit log and
// removes the scheduled backups beyond the newest Keep. It returns the
// new backup and the files it removed.
func (b *Backups) Once(ctx context.Context) (store.BackupInfo, error) {
	at := b.now()
	info, err := b.Store.Backup(ctx, filepath.Join(b.Dir, BackupName(at)))
	if err != nil {
		return info, err
	}
	removed, rerr := b.rotate()
	detail := fmt.Sprintf("schema %04d, %d bytes, %d alerts, %d cases, %d case events, verified; rotation removed %d",
		info.SchemaVersion, info.Bytes, info.Counts["alerts"], info.Counts["cases"], info.Counts["case_events"], len(removed))
	if b.Audit != nil {
		if err := b.Audit.Audit(ctx, store.AuditEntry{At: at, Actor: "watchfloor", Role: "system", Action: "scheduled backup",
			Target: info.Path, Remote: "local", Detail: detail}); err != nil {
			b.Log.Error("writing audit log", "err", err)
		}
	}
	b.Log.Info("backup taken", "path", info.Path, "bytes", info.Bytes, "took", info.Took.Round(time.Millisecond), "removed", len(removed))
	if rerr != nil {
		return info, fmt.Errorf("rotating backups: %w", rerr)
	}
	return info, nil
}

// rotate removes the oldest scheduled backups beyond Keep (Keep <= 0 keeps
// them all) and returns the names it removed.
func (b *Backups) rotate() ([]string, error) {
	if b.Keep <= 0 {
		return nil, nil
	}
	files, err := b.list()
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for len(files) > b.Keep {
		f := files[0]
		files = files[1:]
		if err := os.Remove(filepath.Join(b.Dir, f.name)); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, f.name)
	}
	return removed, errors.Join(errs...)
}
