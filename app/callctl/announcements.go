package callctl

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/callctl/fingerprint"
	"github.com/waihu/waihu/app/speech"
	"github.com/waihu/waihu/app/store"
)

// Announcements keeps the reference clips of carriers' early-media
// announcements (the fingerprint layer of 空号识别) and matches a call's
// early audio against them. Rows live in announcement_refs, audio in Dir.
type Announcements struct {
	db  *store.DB
	dir string
	// Audit, when set, records the operator's changes in the audit log.
	Audit func(ctx context.Context, tx *gorm.DB, action, target string, detail any) error

	mu sync.Mutex
	// prints caches each reference's fingerprint by ID (audio never
	// changes under an ID); indexes caches the index per carrier for the
	// set of IDs it was built from.
	prints  map[uint64]fingerprint.Print
	indexes map[string]cachedIndex
}

type cachedIndex struct {
	key string
	ix  *fingerprint.Index
}

// NewAnnouncements keeps reference audio under dir (<data>/announcements).
func NewAnnouncements(db *store.DB, dir string) *Announcements {
	return &Announcements{db: db, dir: dir, prints: map[uint64]fingerprint.Print{}, indexes: map[string]cachedIndex{}}
}

// AnnouncementInput is an uploaded reference's description.
type AnnouncementInput struct {
	Name    string `json:"name"`
	Carrier string `json:"carrier"`
	Outcome string `json:"outcome"`
}

// AnnouncementOutcomes are the outcomes a reference may announce.
var AnnouncementOutcomes = []string{OutcomePoweredOff, OutcomeInvalidNumber, OutcomeBusy, OutcomeUnreachable, OutcomeNoAnswer, OutcomeRejected}

// minLandmarks: a clip with fewer landmarks (silence, a click, a pure
// tone) could never reach fingerprint.MinScore and is refused at upload.
const minLandmarks = 2 * fingerprint.MinScore

// Create stores a reference: the WAV (PCM, A-law or µ-law, any rate) is
// converted to 8 kHz mono, fingerprinted and kept in the data directory.
func (a *Announcements) Create(ctx context.Context, in AnnouncementInput, wav []byte) (*store.AnnouncementRef, error) {
	in.Name = strings.TrimSpace(in.Name)
	in.Carrier = strings.TrimSpace(in.Carrier)
	in.Outcome = strings.TrimSpace(in.Outcome)
	var v apperr.Validator
	v.Check(in.Name != "" && utf8.RuneCountInString(in.Name) <= 128, "name", "give the announcement a name of 1–128 characters")
	v.Check(utf8.RuneCountInString(in.Carrier) <= 64, "carrier", "at most 64 characters (empty: every carrier)")
	okOutcome := false
	for _, o := range AnnouncementOutcomes {
		okOutcome = okOutcome || o == in.Outcome
	}
	v.Check(okOutcome, "outcome", "one of "+strings.Join(AnnouncementOutcomes, ", "))
	if err := v.Err(); err != nil {
		return nil, err
	}
	samples, err := fingerprint.DecodeWAV(wav)
	if err != nil {
		return nil, apperr.Invalid("file", "a WAV file (16-bit PCM, A-law or µ-law) of at most 60 s: "+err.Error())
	}
	p := fingerprint.Compute(samples)
	if len(p.Landmarks) < minLandmarks {
		return nil, apperr.Invalid("file", fmt.Sprintf("the clip has too little sound to recognise (%d landmarks, need %d): upload the announcement itself", len(p.Landmarks), minLandmarks))
	}
	norm := speech.EncodeWAV(speech.Audio{PCM: speech.PCMBytes(samples), SampleRate: fingerprint.SampleRate, Channels: 1})
	sum := sha256.Sum256(norm)
	hash := hex.EncodeToString(sum[:])
	rel := filepath.Join(hash[:2], hash+".wav")
	if err := os.MkdirAll(filepath.Join(a.dir, hash[:2]), 0o755); err != nil {
		return nil, fmt.Errorf("announcement audio directory: %w", err)
	}
	// Content-addressed: the same clip uploaded twice shares one file, and
	// a failed insert leaves at worst an unreferenced file, never a row
	// without audio.
	if err := writeFileAtomic(filepath.Join(a.dir, rel), norm); err != nil {
		return nil, err
	}
	row := &store.AnnouncementRef{Carrier: in.Carrier, Name: in.Name, Outcome: in.Outcome, AudioPath: rel, SHA256: hash,
		DurationMs: len(samples) * 1000 / fingerprint.SampleRate, Landmarks: len(p.Landmarks)}
	pctx := store.AsPlatform(ctx)
	err = a.db.Tx(pctx, func(tx *gorm.DB) error {
		if err := tx.Create(row).Error; err != nil {
			return err
		}
		if a.Audit != nil {
			return a.Audit(pctx, tx, "announcement.create", fmt.Sprintf("announcement:%d", row.ID), in)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	a.prints[row.ID] = p
	a.mu.Unlock()
	return row, nil
}

func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".upload-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// List returns every reference, by carrier then name.
func (a *Announcements) List(ctx context.Context) ([]store.AnnouncementRef, error) {
	var rows []store.AnnouncementRef
	err := a.db.With(store.AsPlatform(ctx)).Order("carrier, name, id").Limit(1000).Find(&rows).Error
	return rows, err
}

// Get returns one reference.
func (a *Announcements) Get(ctx context.Context, id uint64) (*store.AnnouncementRef, error) {
	var row store.AnnouncementRef
	err := a.db.With(store.AsPlatform(ctx)).Take(&row, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("announcement %d: %w", id, apperr.ErrNotFound)
	}
	return &row, err
}

// AudioFile is the path of a reference's audio.
func (a *Announcements) AudioFile(row *store.AnnouncementRef) string {
	return filepath.Join(a.dir, filepath.Clean(string(filepath.Separator)+row.AudioPath))
}

// Delete removes a reference; its audio goes when no other row uses it.
func (a *Announcements) Delete(ctx context.Context, id uint64) error {
	row, err := a.Get(ctx, id)
	if err != nil {
		return err
	}
	pctx := store.AsPlatform(ctx)
	var others int64
	err = a.db.Tx(pctx, func(tx *gorm.DB) error {
		if err := tx.Delete(&store.AnnouncementRef{}, id).Error; err != nil {
			return err
		}
		if err := tx.Model(&store.AnnouncementRef{}).Where("audio_path = ?", row.AudioPath).Count(&others).Error; err != nil {
			return err
		}
		if a.Audit != nil {
			return a.Audit(pctx, tx, "announcement.delete", fmt.Sprintf("announcement:%d", id), map[string]any{"name": row.Name, "carrier": row.Carrier, "outcome": row.Outcome})
		}
		return nil
	})
	if err != nil {
		return err
	}
	if others == 0 {
		_ = os.Remove(a.AudioFile(row))
	}
	a.mu.Lock()
	delete(a.prints, id)
	a.mu.Unlock()
	return nil
}

// Index returns the references that apply to a carrier's trunks (its own
// and the carrier-less ones), rebuilt when the set of rows changes.
func (a *Announcements) Index(ctx context.Context, carrier string) (*fingerprint.Index, error) {
	var rows []store.AnnouncementRef
	err := a.db.With(store.AsPlatform(ctx)).Where("carrier IN ?", []string{"", carrier}).Order("id").Limit(1000).Find(&rows).Error
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = fmt.Sprint(r.ID)
	}
	key := strings.Join(ids, ",")
	a.mu.Lock()
	if c, ok := a.indexes[carrier]; ok && c.key == key {
		a.mu.Unlock()
		return c.ix, nil
	}
	a.mu.Unlock()
	// Carrier-specific references first: on equal scores the carrier's
	// own clip wins (the index resolves ties by order).
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Carrier != "" && rows[j].Carrier == "" })
	refs := make([]fingerprint.Reference, 0, len(rows))
	for i := range rows {
		r := &rows[i]
		p, err := a.print(r)
		if err != nil {
			// One unreadable file must not disable the others.
			continue
		}
		refs = append(refs, fingerprint.Reference{ID: r.ID, Name: r.Name, Outcome: r.Outcome, Print: p})
	}
	ix := fingerprint.NewIndex(refs)
	a.mu.Lock()
	a.indexes[carrier] = cachedIndex{key: key, ix: ix}
	a.mu.Unlock()
	return ix, nil
}

func (a *Announcements) print(r *store.AnnouncementRef) (fingerprint.Print, error) {
	a.mu.Lock()
	p, ok := a.prints[r.ID]
	a.mu.Unlock()
	if ok {
		return p, nil
	}
	b, err := os.ReadFile(a.AudioFile(r))
	if err != nil {
		return fingerprint.Print{}, err
	}
	s, err := fingerprint.DecodeWAV(b)
	if err != nil {
		return fingerprint.Print{}, err
	}
	p = fingerprint.Compute(s)
	a.mu.Lock()
	a.prints[r.ID] = p
	a.mu.Unlock()
	return p, nil
}

// MatchFile fingerprints a recorded early-media file and returns the
// reference it contains, if any.
func (a *Announcements) MatchFile(ctx context.Context, carrier, path string) (fingerprint.Match, bool, error) {
	ix, err := a.Index(ctx, carrier)
	if err != nil || ix.Len() == 0 {
		return fingerprint.Match{}, false, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return fingerprint.Match{}, false, err
	}
	s, err := fingerprint.DecodeWAV(b)
	if err != nil {
		return fingerprint.Match{}, false, fmt.Errorf("early audio %s: %w", path, err)
	}
	m, ok := ix.Match(fingerprint.Compute(s))
	return m, ok, nil
}

// MatchClip checks an uploaded clip (a captured early-media recording)
// against the references that apply to a carrier: the operator's way to
// see whether a new announcement is already known.
func (a *Announcements) MatchClip(ctx context.Context, carrier string, wav []byte) (fingerprint.Match, bool, error) {
	samples, err := fingerprint.DecodeWAV(wav)
	if err != nil {
		return fingerprint.Match{}, false, apperr.Invalid("file", "a WAV file (16-bit PCM, A-law or µ-law) of at most 60 s: "+err.Error())
	}
	ix, err := a.Index(ctx, strings.TrimSpace(carrier))
	if err != nil {
		return fingerprint.Match{}, false, err
	}
	m, ok := ix.Match(fingerprint.Compute(samples))
	return m, ok, nil
}

// SeedClip stores a reference unless one with the same audio and carrier
// exists (the demo's simulator clips).
func (a *Announcements) SeedClip(ctx context.Context, name, carrier, outcome string, wav []byte) error {
	in := AnnouncementInput{Name: name, Carrier: carrier, Outcome: outcome}
	samples, err := fingerprint.DecodeWAV(wav)
	if err != nil {
		return err
	}
	norm := speech.EncodeWAV(speech.Audio{PCM: speech.PCMBytes(samples), SampleRate: fingerprint.SampleRate, Channels: 1})
	sum := sha256.Sum256(norm)
	var n int64
	if err := a.db.With(store.AsPlatform(ctx)).Model(&store.AnnouncementRef{}).Where("sha256 = ? AND carrier = ?", hex.EncodeToString(sum[:]), in.Carrier).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	_, err = a.Create(ctx, in, norm)
	return err
}
