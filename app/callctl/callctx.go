package callctl

import (
	"context"

	"github.com/waihu/waihu/app/store"
)

type attemptKey struct{}

// withAttempt puts a copy of the call's attempt into the session's context,
// so what the session calls out to (prompts, recognizer choice) can pick
// the tenant's and script's engines without another parameter.
func (e *Engine) withAttempt(ctx context.Context, uuid string) context.Context {
	lc := e.call(uuid)
	if lc == nil {
		return ctx
	}
	lc.mu.Lock()
	a := lc.attempt
	lc.mu.Unlock()
	return context.WithValue(ctx, attemptKey{}, a)
}

// AttemptFrom returns the attempt of the call whose session ctx belongs to.
func AttemptFrom(ctx context.Context) (store.CallAttempt, bool) {
	a, ok := ctx.Value(attemptKey{}).(store.CallAttempt)
	return a, ok
}
