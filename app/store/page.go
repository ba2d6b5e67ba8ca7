package store

import "gorm.io/gorm"

// Page asks for one page of a newest-first list: at most Limit rows with an
// id below BeforeID (0 = from the newest). The HTTP layer turns BeforeID into
// an opaque cursor.
type Page struct {
	Limit    int
	BeforeID uint64
}

// MaxPageSize caps every list endpoint.
const MaxPageSize = 200

// Normalize clamps Limit to 1..MaxPageSize, defaulting to 50.
func (p Page) Normalize() Page {
	switch {
	case p.Limit <= 0:
		p.Limit = 50
	case p.Limit > MaxPageSize:
		p.Limit = MaxPageSize
	}
	return p
}

// Apply orders newest first by the table's id, applies the cursor and asks
// for one extra row so Next can tell whether another page exists.
func (p Page) Apply(q *gorm.DB, idColumn string) *gorm.DB {
	p = p.Normalize()
	if p.BeforeID > 0 {
		q = q.Where(idColumn+" < ?", p.BeforeID)
	}
	return q.Order(idColumn + " DESC").Limit(p.Limit + 1)
}

// Trim cuts the extra row fetched by Apply and returns the next cursor id
// (0 when this is the last page).
func Trim[T any](p Page, rows []T, id func(T) uint64) ([]T, uint64) {
	p = p.Normalize()
	if len(rows) <= p.Limit {
		return rows, 0
	}
	rows = rows[:p.Limit]
	return rows, id(rows[len(rows)-1])
}
