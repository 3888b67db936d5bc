package auth

import (
	"sync"
	"time"
)

// Limiter counts failed attempts per key (a remote address, a user name)
// and refuses a key that failed Max times within Window. It is in memory:
// each replica throttles on its own.
type Limiter struct {
	Max    int
	Window time.Duration

	mu    sync.Mutex
	fails map[string][]time.Time
}

// NewLimiter returns a limiter allowing max failures per window.
func NewLimiter(max int, window time.Duration) *Limiter {
	return &Limiter{Max: max, Window: window, fails: map[string][]time.Time{}}
}

// prune drops failures older than the window; the caller holds mu.
func (l *Limiter) prune(key string, now time.Time) []time.Time {
	f := l.fails[key]
	i := 0
	for i < len(f) && !now.Before(f[i].Add(l.Window)) {
		i++
	}
	f = f[i:]
	if len(f) == 0 {
		delete(l.fails, key)
	} else {
		l.fails[key] = f
	}
	return f
}

// Allow reports whether key may try again.
func (l *Limiter) Allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.prune(key, now)) < l.Max
}

// Fail records a failed attempt.
func (l *Limiter) Fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.fails) > 100000 {
		// Bound memory under a spray of distinct keys: forget the oldest
		// picture rather than grow without limit.
		l.fails = map[string][]time.Time{}
	}
	l.fails[key] = append(l.prune(key, now), now)
}

// Reset forgets a key's failures (after a success).
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, key)
}
