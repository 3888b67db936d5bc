package auth

import (
	"fmt"
	"sync"
	"time"
)

// Limiter throttles failed attempts per key with exponential backoff: the
// first Free failures cost nothing; after that each failure doubles the
// wait before the key may try again, from Base up to Max. A key's
// failures are forgotten once Forget has passed without one. It is in
// memory: each replica throttles on its own.
//
// Sign-in keys it by account and address together and by address alone
// (see Service.Login), never by account alone: a key every address shares
// would let anyone lock the admin out by failing on purpose.
type Limiter struct {
	Free   int
	Base   time.Duration
	Max    time.Duration
	Forget time.Duration

	mu   sync.Mutex
	keys map[string]*backoff
}

type backoff struct {
	fails int
	last  time.Time
}

// maxLimiterKeys bounds the limiter's memory under a spray of distinct
// keys; when full, keys whose wait is over are dropped first.
const maxLimiterKeys = 100000

// NewLimiter returns a limiter that lets free failures pass and then
// backs off from base, doubling up to max; failures are forgotten after
// four times max without one.
func NewLimiter(free int, base, max time.Duration) *Limiter {
	return &Limiter{Free: free, Base: base, Max: max, Forget: 4 * max}
}

// delay is the wait after n failures; the caller holds mu.
func (l *Limiter) delay(n int) time.Duration {
	if n < l.Free || n == 0 {
		return 0
	}
	d := l.Base
	for i := l.Free; i < n && d < l.Max; i++ {
		d *= 2
	}
	return min(d, l.Max)
}

// get returns the key's state, forgetting it when it has aged out; the
// caller holds mu.
func (l *Limiter) get(key string, now time.Time) *backoff {
	b := l.keys[key]
	if b != nil && now.Sub(b.last) >= l.Forget {
		delete(l.keys, key)
		return nil
	}
	return b
}

// Wait returns how long key must wait before its next attempt; 0 means it
// may try now.
func (l *Limiter) Wait(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.get(key, now)
	if b == nil {
		return 0
	}
	return max(0, b.last.Add(l.delay(b.fails)).Sub(now))
}

// Fail records a failed attempt.
func (l *Limiter) Fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.keys == nil {
		l.keys = map[string]*backoff{}
	}
	b := l.get(key, now)
	if b == nil {
		if len(l.keys) >= maxLimiterKeys {
			l.prune(now)
		}
		b = &backoff{}
		l.keys[key] = b
	}
	b.fails++
	b.last = now
}

// prune drops keys whose wait is over, and if that frees nothing, every
// key; the caller holds mu.
func (l *Limiter) prune(now time.Time) {
	for k, b := range l.keys {
		if !now.Before(b.last.Add(l.delay(b.fails))) {
			delete(l.keys, k)
		}
	}
	if len(l.keys) >= maxLimiterKeys {
		clear(l.keys)
	}
}

// Reset forgets a key's failures (after a success).
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.keys, key)
}

// RateLimitError is the error of a sign-in refused by the throttle; it
// matches ErrRateLimited with errors.Is.
type RateLimitError struct {
	// RetryAfter is how long until the next attempt is allowed.
	RetryAfter time.Duration
}

// Error says the sign-in was refused and when to retry.
func (e *RateLimitError) Error() string {
	return fmt.Sprintf("%v (retry in %s)", ErrRateLimited, e.RetryAfter.Round(time.Second))
}

// Is reports whether target is ErrRateLimited.
func (e *RateLimitError) Is(target error) bool { return target == ErrRateLimited }
