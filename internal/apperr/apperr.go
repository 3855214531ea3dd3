// Package apperr gives errors a kind, so the edge can turn meaning into a
// status code and a translated message once, without string matching.
package apperr

import (
	"errors"
	"fmt"
)

// Kind classifies an error for the edge. The zero Kind is an internal error.
type Kind int

const (
	Internal Kind = iota
	NotFound
	Invalid
	Conflict
	Forbidden
	Unauthenticated
	Unavailable
	TooMany
	TooLarge
)

var kindNames = [...]string{"internal", "not_found", "invalid", "conflict", "forbidden", "unauthenticated", "unavailable", "too_many_requests", "too_large"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "internal"
}

// Error carries a kind, a stable machine code for clients and translations,
// and an English message for logs and developers.
type Error struct {
	Kind    Kind
	Code    string // stable, e.g. "conversation.invalid_transition"
	Message string
	Field   string // the offending input field, when there is one
	Err     error
}

func (e *Error) Error() string {
	msg := e.Message
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if e.Err != nil {
		return msg + ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error of kind k with a stable code and a message.
func New(k Kind, code, format string, args ...any) *Error {
	return &Error{Kind: k, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Field returns an Invalid error about one input field.
func Field(field, code, format string, args ...any) *Error {
	return &Error{Kind: Invalid, Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// KindOf reports the kind of the first *Error in err's chain, Internal if none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// As returns the first *Error in err's chain.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Is reports whether err has kind k.
func Is(err error, k Kind) bool { return err != nil && KindOf(err) == k }

// Convenience constructors for the common kinds.
func NotFoundf(code, format string, args ...any) *Error { return New(NotFound, code, format, args...) }
func Invalidf(code, format string, args ...any) *Error  { return New(Invalid, code, format, args...) }
func Conflictf(code, format string, args ...any) *Error { return New(Conflict, code, format, args...) }
func Forbiddenf(code, format string, args ...any) *Error {
	return New(Forbidden, code, format, args...)
}
