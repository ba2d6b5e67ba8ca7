// Package apperr holds the typed errors every domain package returns and the
// HTTP layer maps to status codes in one place. It imports nothing of waihu's,
// so every package may use it.
package apperr

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Sentinel errors; wrap them with fmt.Errorf("...: %w", ErrX) for context.
var (
	ErrNotFound     = errors.New("not found")
	ErrConflict     = errors.New("conflict")
	ErrForbidden    = errors.New("forbidden")
	ErrUnauthorized = errors.New("unauthorized")
	// ErrInsufficientFunds: a hold or charge would take the tenant's
	// available balance below its credit limit.
	ErrInsufficientFunds = errors.New("insufficient funds")
)

// ValidationError names the input fields at fault and why. Reasons are short
// English phrases; the HTTP layer translates known ones.
type ValidationError struct {
	Fields map[string]string
}

func (e *ValidationError) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + e.Fields[k]
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Invalid builds a ValidationError for one field.
func Invalid(field, reason string) *ValidationError {
	return &ValidationError{Fields: map[string]string{field: reason}}
}

// Validator collects field errors; Err returns nil when there are none.
type Validator struct{ fields map[string]string }

// Check records reason for field when ok is false (the first reason per field wins).
func (v *Validator) Check(ok bool, field, reason string) {
	if ok {
		return
	}
	if v.fields == nil {
		v.fields = map[string]string{}
	}
	if _, seen := v.fields[field]; !seen {
		v.fields[field] = reason
	}
}

// Err returns the collected errors as a *ValidationError, or nil.
func (v *Validator) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return &ValidationError{Fields: v.fields}
}

// CodedError is an error with a stable machine code and HTTP status, for
// outcomes that are neither validation nor not-found (a locked account, a
// pending tenant).
type CodedError struct {
	Code       string
	Status     int
	Message    string
	RetryAfter time.Duration
}

func (e *CodedError) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Coded builds a CodedError.
func Coded(status int, code, message string) *CodedError {
	return &CodedError{Code: code, Status: status, Message: message}
}
