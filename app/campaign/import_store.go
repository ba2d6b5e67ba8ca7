package campaign

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/waihu/waihu/app/store"
)

// dncLoadLimit is how many do-not-call numbers an import loads into memory
// (8 bytes each) instead of asking the database once per batch; past it the
// per-batch queries keep the import's memory flat.
const dncLoadLimit = 4_000_000

// dncSet is the tenant's and the platform's do-not-call numbers as sorted
// keys (see phoneKey), loaded once per import run: a million-row import
// then asks the database nothing per row.
type dncSet struct {
	keys []uint64
}

func (d *dncSet) has(k uint64) bool {
	_, ok := slices.BinarySearch(d.keys, k)
	return ok
}

// loadDNCSet reads both do-not-call lists, or returns nil when they are too
// large to hold (the caller then queries per batch).
func (s *Service) loadDNCSet(ctx context.Context) (*dncSet, error) {
	var nt, np int64
	if err := s.db.With(ctx).Model(&store.DNCEntry{}).Count(&nt).Error; err != nil {
		return nil, fmt.Errorf("count do-not-call list: %w", err)
	}
	pctx := store.AsPlatform(ctx)
	if err := s.db.With(pctx).Model(&store.PlatformDNC{}).Count(&np).Error; err != nil {
		return nil, fmt.Errorf("count platform do-not-call list: %w", err)
	}
	if nt+np > dncLoadLimit {
		return nil, nil
	}
	d := &dncSet{keys: make([]uint64, 0, nt+np)}
	read := func(q *gorm.DB) error {
		rows, err := q.Select("phone").Rows()
		if err != nil {
			return err
		}
		defer rows.Close()
		var p string
		for rows.Next() {
			if err := rows.Scan(&p); err != nil {
				return err
			}
			d.keys = append(d.keys, phoneKey(p))
		}
		return rows.Err()
	}
	if err := read(s.db.With(ctx).Model(&store.DNCEntry{})); err != nil {
		return nil, fmt.Errorf("read do-not-call list: %w", err)
	}
	if err := read(s.db.With(pctx).Model(&store.PlatformDNC{})); err != nil {
		return nil, fmt.Errorf("read platform do-not-call list: %w", err)
	}
	slices.Sort(d.keys)
	return d, nil
}

// insertContactsSQLite writes a batch with one statement whose rows come
// from a single JSON parameter. The pure-Go SQLite driver prepares a
// statement again on every Exec and binds each argument through a C string,
// so per-row parameters cost more than the insert itself; one parameter per
// batch costs almost nothing.
func insertContactsSQLite(tx *gorm.DB, cs []store.Contact) error {
	const perStmt = 5000
	for start := 0; start < len(cs); start += perStmt {
		part := cs[start:min(start+perStmt, len(cs))]
		buf := make([]byte, 0, len(part)*96)
		buf = append(buf, '[')
		for i := range part {
			c := &part[i]
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, '[')
			buf = appendJSONString(buf, c.Phone)
			buf = append(buf, ',')
			buf = appendJSONString(buf, c.Name)
			buf = append(buf, ',')
			buf = appendJSONString(buf, c.TZ)
			buf = append(buf, ',')
			buf = appendJSONString(buf, c.AreaCode)
			buf = append(buf, ',')
			buf = appendJSONString(buf, c.Vars)
			buf = append(buf, ',')
			buf = strconv.AppendInt(buf, int64(c.FileRow), 10)
			buf = append(buf, ']')
		}
		buf = append(buf, ']')
		c0 := &part[0]
		res := tx.Exec("INSERT INTO contacts (tenant_id, list_id, phone, name, tz, area_code, vars, file_row, created_at) "+
			"SELECT ?, ?, value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, ? FROM json_each(?) ORDER BY key",
			c0.TenantID, c0.ListID, c0.CreatedAt, string(buf))
		if res.Error != nil {
			return fmt.Errorf("store contacts: %w", store.Translate(res.Error))
		}
		if res.RowsAffected != int64(len(part)) {
			return fmt.Errorf("store contacts: %d of %d rows written", res.RowsAffected, len(part))
		}
	}
	return nil
}

// encodeVars writes a row's variables as a JSON object with sorted keys
// (what json.Marshal of the map writes) without reflection.
func encodeVars(buf []byte, keys []string, vals map[string]string) []byte {
	buf = append(buf, '{')
	for i, k := range keys {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendJSONString(buf, k)
		buf = append(buf, ':')
		buf = appendJSONString(buf, vals[k])
	}
	return append(buf, '}')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes U+FFFD
// as encoding/json does.
func appendJSONString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch b {
			case '"', '\\':
				buf = append(buf, '\\', b)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
