package store

import (
	"errors"

	"gorm.io/gorm"

	"github.com/waihu/waihu/app/apperr"
)

// ErrNotFound is what every store lookup returns for a missing row, including
// a row that exists but belongs to another tenant: callers cannot tell the two
// apart, which is the point.
var ErrNotFound = apperr.ErrNotFound

// ErrConflict reports a unique-key violation.
var ErrConflict = apperr.ErrConflict

// Translate maps driver errors onto the store's errors (both dialects; gorm's
// TranslateError is on, so duplicate keys arrive as gorm.ErrDuplicatedKey).
func Translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return ErrNotFound
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return ErrConflict
	}
	return err
}
