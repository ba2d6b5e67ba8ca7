package campaign

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/store"
)

// DNC reasons.
const (
	DNCManual    = "manual"
	DNCImport    = "import"
	DNCOptOut    = "opt_out"
	DNCComplaint = "complaint"
)

// blockedSet returns which of phones are on the context tenant's list or
// the platform list. It is checked at import and again at dispatch.
func (s *Service) blockedSet(ctx context.Context, phones []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(phones) == 0 {
		return out, nil
	}
	for start := 0; start < len(phones); start += 1000 {
		part := phones[start:min(start+1000, len(phones))]
		var hit []string
		if err := s.db.With(ctx).Model(&store.DNCEntry{}).Where("phone IN ?", part).Pluck("phone", &hit).Error; err != nil {
			return nil, fmt.Errorf("check do-not-call list: %w", err)
		}
		var phit []string
		if err := s.db.With(store.AsPlatform(ctx)).Model(&store.PlatformDNC{}).Where("phone IN ?", part).Pluck("phone", &phit).Error; err != nil {
			return nil, fmt.Errorf("check platform do-not-call list: %w", err)
		}
		for _, p := range append(hit, phit...) {
			out[p] = true
		}
	}
	return out, nil
}

// DNCResult reports a bulk addition.
type DNCResult struct {
	Added    int               `json:"added"`
	Existing int               `json:"existing"`
	Rejected []RejectedContact `json:"rejected"`
}

func normalizeDNC(phones []string) ([]string, []RejectedContact) {
	var ok []string
	var bad []RejectedContact
	seen := map[string]bool{}
	for i, p := range phones {
		n, reason := NormalizePhone(p)
		if reason != "" {
			bad = append(bad, RejectedContact{Index: i, Reason: reason})
			continue
		}
		if !seen[n.E164] {
			seen[n.E164] = true
			ok = append(ok, n.E164)
		}
	}
	return ok, bad
}

// AddDNC puts numbers on the context tenant's list (platform list when
// platform is set; the caller checks the operator's right to it).
func (s *Service) AddDNC(ctx context.Context, platform bool, phones []string, reason, note string) (*DNCResult, error) {
	if len(phones) == 0 || len(phones) > 100000 {
		return nil, apperr.Invalid("phones", "give 1 to 100000 numbers")
	}
	if reason == "" {
		reason = DNCManual
	}
	if len(note) > 255 {
		return nil, apperr.Invalid("note", "at most 255 bytes")
	}
	ok, bad := normalizeDNC(phones)
	res := &DNCResult{Rejected: bad}
	if res.Rejected == nil {
		res.Rejected = []RejectedContact{}
	}
	err := s.db.Tx(ctx, func(tx *gorm.DB) error {
		n, err := addDNCTx(ctx, tx, platform, ok, reason, note)
		res.Added = n
		return err
	})
	if err != nil {
		return nil, err
	}
	res.Existing = len(ok) - res.Added
	return res, nil
}

func addDNCTx(ctx context.Context, tx *gorm.DB, platform bool, phones []string, reason, note string) (int, error) {
	added := 0
	for start := 0; start < len(phones); start += 500 {
		part := phones[start:min(start+500, len(phones))]
		// Count what is new by reading first: MySQL's affected-rows for an
		// upsert that did nothing is not portable.
		var have []string
		q := tx.Model(&store.DNCEntry{})
		if platform {
			q = tx.WithContext(store.AsPlatform(ctx)).Model(&store.PlatformDNC{})
		}
		if err := q.Where("phone IN ?", part).Pluck("phone", &have).Error; err != nil {
			return added, fmt.Errorf("read do-not-call list: %w", err)
		}
		if len(have) > 0 {
			seen := map[string]bool{}
			for _, h := range have {
				seen[h] = true
			}
			var fresh []string
			for _, p := range part {
				if !seen[p] {
					fresh = append(fresh, p)
				}
			}
			part = fresh
		}
		if len(part) == 0 {
			continue
		}
		var r *gorm.DB
		if platform {
			rows := make([]store.PlatformDNC, len(part))
			for i, p := range part {
				rows[i] = store.PlatformDNC{Phone: p, Reason: reason, Note: note}
			}
			r = tx.WithContext(store.AsPlatform(ctx)).Clauses(clause.OnConflict{DoNothing: true}).Create(&rows)
		} else {
			rows := make([]store.DNCEntry, len(part))
			for i, p := range part {
				rows[i] = store.DNCEntry{Phone: p, Reason: reason, Note: note}
			}
			r = tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&rows)
		}
		if r.Error != nil {
			return added, fmt.Errorf("add to do-not-call list: %w", r.Error)
		}
		added += int(r.RowsAffected)
	}
	return added, nil
}

// DNCRow is one entry of either list.
type DNCRow struct {
	ID     uint64 `json:"id"`
	Phone  string `json:"phone"`
	Reason string `json:"reason"`
	Note   string `json:"note"`
	At     string `json:"created_at"`
}

// ListDNC pages through a list, optionally filtered by a number fragment.
func (s *Service) ListDNC(ctx context.Context, platform bool, search string, p store.Page) ([]DNCRow, uint64, error) {
	q := s.db.With(ctx)
	var out []DNCRow
	digits := cleanDigits(search)
	if platform {
		q = s.db.With(store.AsPlatform(ctx)).Model(&store.PlatformDNC{})
	} else {
		q = q.Model(&store.DNCEntry{})
	}
	if search != "" {
		if digits == "x" {
			return []DNCRow{}, 0, nil
		}
		q = q.Where("phone LIKE ?", "%"+strings.TrimPrefix(digits, "+")+"%")
	}
	var rows []store.DNCEntry
	if err := p.Apply(q, "id").Find(&rows).Error; err != nil {
		return nil, 0, err
	}
	rows, next := store.Trim(p, rows, func(e store.DNCEntry) uint64 { return e.ID })
	for _, r := range rows {
		out = append(out, DNCRow{ID: r.ID, Phone: r.Phone, Reason: r.Reason, Note: r.Note, At: r.CreatedAt.UTC().Format("2006-01-02T15:04:05Z")})
	}
	if out == nil {
		out = []DNCRow{}
	}
	return out, next, nil
}

// RemoveDNC deletes one entry.
func (s *Service) RemoveDNC(ctx context.Context, platform bool, id uint64) error {
	var r *gorm.DB
	if platform {
		r = s.db.With(store.AsPlatform(ctx)).Delete(&store.PlatformDNC{}, id)
	} else {
		r = s.db.With(ctx).Delete(&store.DNCEntry{}, id)
	}
	if r.Error != nil {
		return r.Error
	}
	if r.RowsAffected == 0 {
		return fmt.Errorf("do-not-call entry %d: %w", id, store.ErrNotFound)
	}
	return nil
}

// GetDNC checks one entry exists (tenant isolation of :id routes).
func (s *Service) GetDNC(ctx context.Context, id uint64) error {
	var e store.DNCEntry
	return store.Translate(s.db.With(ctx).First(&e, id).Error)
}

// ImportDNC reads numbers from the first column of a CSV (UTF-8 or GBK) and
// adds them all in one transaction.
func (s *Service) ImportDNC(ctx context.Context, platform bool, r io.Reader) (*DNCResult, error) {
	data, err := io.ReadAll(io.LimitReader(r, 32<<20+1))
	if err != nil {
		return nil, err
	}
	if len(data) > 32<<20 {
		return nil, apperr.Invalid("file", "the file is larger than 32 MB")
	}
	if len(data) == 0 {
		return nil, apperr.Invalid("file", "the file is empty")
	}
	if strings.IndexByte(string(data[:min(len(data), sniffLen)]), 0) >= 0 {
		return nil, apperr.Invalid("file", "the file is binary data, not CSV")
	}
	enc := detectEncoding(data, false)
	src, err := csvFromBytes(data, enc)
	if err != nil {
		return nil, err
	}
	var phones []string
	for row := 1; ; row++ {
		rec, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fileErr(err)
		}
		if len(rec) == 0 || strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if row == 1 {
			if _, bad := NormalizePhone(rec[0]); bad != "" {
				continue // a header
			}
		}
		phones = append(phones, rec[0])
	}
	if len(phones) == 0 {
		return nil, apperr.Invalid("file", "no numbers in the first column")
	}
	return s.AddDNC(ctx, platform, phones, DNCImport, "")
}

// ExportDNC writes a list as CSV.
func (s *Service) ExportDNC(ctx context.Context, platform bool, w io.Writer) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"phone", "reason", "note", "created_at"})
	var after uint64
	for {
		var rows []store.DNCEntry
		var q *gorm.DB
		if platform {
			q = s.db.With(store.AsPlatform(ctx)).Model(&store.PlatformDNC{})
		} else {
			q = s.db.With(ctx).Model(&store.DNCEntry{})
		}
		if err := q.Where("id > ?", after).Order("id").Limit(1000).Find(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			break
		}
		for _, r := range rows {
			after = r.ID
			_ = cw.Write([]string{r.Phone, r.Reason, NeutralizeCell(r.Note), r.CreatedAt.UTC().Format("2006-01-02 15:04:05")})
		}
		cw.Flush()
	}
	cw.Flush()
	return cw.Error()
}
