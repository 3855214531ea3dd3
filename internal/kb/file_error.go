package kb

import (
	"fmt"

	"vigil/internal/apperr"
)

// FileError is a mistake in one import file that the console words in
// the reader's language: Code is its catalogue entry and Args fill it
// (the file name and line first where there is a line). It wraps the
// English error that the API and `vigil kb import` show unchanged.
type FileError struct {
	Name string
	Line int // 0: about the file as a whole
	Code string
	Args []any
	err  *apperr.Error
}

func (e *FileError) Error() string { return e.err.Error() }

func (e *FileError) Unwrap() error { return e.err }

// FileCodes are the catalogue entries a FileError can name.
var FileCodes = []string{"kb.file.no_front_matter", "kb.file.no_closing", "kb.file.bad_quote", "kb.file.expected_key",
	"kb.file.whole_number", "kb.file.true_false", "kb.file.status", "kb.file.unknown_key", "kb.file.required", "kb.file.duplicate",
	"kb.file.type", "kb.file.zip", "kb.file.zip_entry", "kb.file.too_large"}

// lineError is a FileError at a line of name: the catalogue entry takes
// the name, the line and args; the English message is "name:line: ...".
func lineError(name string, line int, code, format string, args ...any) error {
	return &FileError{Name: name, Line: line, Code: code, Args: append([]any{name, line}, args...),
		err: apperr.Invalidf("kb.file_invalid", "%s:%d: %s", name, line, fmt.Sprintf(format, args...))}
}

// namedError is a FileError about a file as a whole, whose catalogue
// entry takes the same args as the English format; code is the stable
// code the API answers with.
func namedError(name, code, entry, format string, args ...any) error {
	return &FileError{Name: name, Code: entry, Args: args, err: apperr.Invalidf(code, format, args...)}
}
