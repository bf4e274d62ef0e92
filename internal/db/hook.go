package db

import "context"

type beforeCommitKey struct{}

// WithBeforeCommit returns a context whose write transactions (InTx) run fn
// as their last statement before they commit; an error from fn rolls the
// transaction back. Login As uses it to write a request's action row in the
// same transaction as the change the request makes, and to refuse the
// change when the impersonation ended meanwhile (internal/impersonation).
func WithBeforeCommit(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) context.Context {
	return context.WithValue(ctx, beforeCommitKey{}, fn)
}

// WithoutBeforeCommit returns ctx without its before-commit function, for
// transactions that must not run it (the one that ends the impersonation).
func WithoutBeforeCommit(ctx context.Context) context.Context {
	return context.WithValue(ctx, beforeCommitKey{}, (func(context.Context, *Tx) error)(nil))
}

func beforeCommit(ctx context.Context) func(context.Context, *Tx) error {
	fn, _ := ctx.Value(beforeCommitKey{}).(func(context.Context, *Tx) error)
	return fn
}
