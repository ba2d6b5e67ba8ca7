package recordings

import (
	"context"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/waihu/waihu/app/jobs"
	"github.com/waihu/waihu/app/store"
)

// JobKind is the outbox job that uploads one call's recording.
const JobKind = "recording.upload"

// Options configure the uploader.
type Options struct {
	S3 *S3
	// Dir is the recordings directory (FreeSWITCH's record_session target,
	// shared with waihu); only files under it are uploaded.
	Dir    string
	Prefix string
	// DeleteLocal removes the local file once the stored object was
	// verified (size and MD5 ETag).
	DeleteLocal bool
	// URLTTL is the presigned playback URL's lifetime (default 5 min).
	URLTTL time.Duration
	// Delay is how long after the call's end the upload starts: FreeSWITCH
	// closes the file when the channel is destroyed, moments after the
	// hangup that finished the attempt (default 3 s).
	Delay time.Duration
	Log   *slog.Logger
}

// Service uploads recordings and signs playback URLs.
type Service struct {
	db *store.DB
	o  Options
}

// New returns the uploader; o.S3 must be set.
func New(db *store.DB, o Options) *Service {
	if o.URLTTL <= 0 {
		o.URLTTL = 5 * time.Minute
	}
	if o.Delay <= 0 {
		o.Delay = 3 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &Service{db: db, o: o}
}

type payload struct {
	UUID string `json:"uuid"`
}

// OnFinish is call control's finish hook: in the transaction that
// finishes an answered, recorded call it enqueues the upload, so the job
// exists exactly when the call's end is committed.
func (s *Service) OnFinish(ctx context.Context, tx *gorm.DB, a *store.CallAttempt) error {
	if a.RecordPath == "" || a.AnsweredAt == nil || a.RecordKey != "" {
		return nil
	}
	return jobs.Enqueue(ctx, tx, JobKind, JobKind+":"+a.UUID, payload{UUID: a.UUID}, time.Now().Add(s.o.Delay))
}

// Key is the object key of a call's recording.
func (s *Service) Key(a *store.CallAttempt) string {
	day := a.QueuedAt
	if a.DialedAt != nil {
		day = *a.DialedAt
	}
	return s.o.Prefix + "recordings/" + strconv.FormatUint(a.TenantID, 10) + "/" + day.UTC().Format("20060102") + "/" + a.UUID + filepath.Ext(a.RecordPath)
}

// Handle runs one upload job. It is idempotent: a call whose key is
// recorded is done; a repeated PUT of the same file to the same key
// changes nothing. Errors retry with the runner's backoff; a recording
// that cannot exist (outside the directory) fails for good.
func (s *Service) Handle(ctx context.Context, task *store.OutboxTask) error {
	var p payload
	if err := json.Unmarshal([]byte(task.Payload), &p); err != nil || p.UUID == "" {
		return fmt.Errorf("%w: bad payload %q", jobs.ErrPermanent, task.Payload)
	}
	pctx := store.AsPlatform(ctx)
	var a store.CallAttempt
	if err := s.db.With(pctx).Where("uuid = ?", p.UUID).Take(&a).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return fmt.Errorf("%w: attempt %s is gone", jobs.ErrPermanent, p.UUID)
		}
		return err
	}
	if a.RecordKey != "" {
		return nil
	}
	local, err := s.localPath(a.RecordPath)
	if err != nil {
		return fmt.Errorf("%w: %v", jobs.ErrPermanent, err)
	}
	body, err := os.ReadFile(local)
	if err != nil {
		// Not there yet (FreeSWITCH still closing it) or the volume is
		// briefly away: retry with backoff.
		return fmt.Errorf("read recording of %s: %w", p.UUID, err)
	}
	if len(body) <= 44 {
		return fmt.Errorf("recording of %s is empty so far (%d bytes)", p.UUID, len(body))
	}
	if err := wavComplete(local, body); err != nil {
		return fmt.Errorf("recording of %s: %w", p.UUID, err)
	}
	key := s.Key(&a)
	if _, err := s.o.S3.Put(ctx, key, body, contentType(local)); err != nil {
		return err
	}
	info, err := s.o.S3.Head(ctx, key)
	if err != nil {
		return fmt.Errorf("verify upload of %s: %w", key, err)
	}
	sum := md5.Sum(body)
	if info.Size != int64(len(body)) || !strings.EqualFold(info.ETag, hex.EncodeToString(sum[:])) {
		return fmt.Errorf("verify upload of %s: stored %d bytes etag %s, sent %d bytes md5 %x", key, info.Size, info.ETag, len(body), sum)
	}
	err = s.db.Tx(pctx, func(tx *gorm.DB) error {
		if err := tx.Model(&store.CallAttempt{}).Where("id = ? AND record_key = ''", a.ID).Update("record_key", key).Error; err != nil {
			return err
		}
		return jobs.MarkDone(ctx, tx, task)
	})
	if err != nil {
		return err
	}
	if s.o.DeleteLocal {
		if err := os.Remove(local); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.o.Log.Warn("delete uploaded recording", "attempt", a.UUID, "err", err)
		}
	}
	s.o.Log.Info("recording uploaded", "attempt", a.UUID, "key", key, "bytes", len(body))
	return nil
}

// localPath resolves a record path inside the recordings directory.
func (s *Service) localPath(p string) (string, error) {
	if s.o.Dir == "" {
		return "", errors.New("no recordings directory")
	}
	dir := filepath.Clean(s.o.Dir)
	p = filepath.Clean(p)
	// The session stores the path it gave FreeSWITCH, which starts with the
	// directory (relative when --data is); a bare relative name is taken
	// inside the directory.
	if !filepath.IsAbs(p) && !inside(dir, p) {
		p = filepath.Join(dir, p)
	}
	if !inside(dir, p) {
		return "", fmt.Errorf("record path %q is outside the recordings directory", p)
	}
	return p, nil
}

func inside(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// wavComplete reports a WAV whose RIFF length does not cover the file:
// FreeSWITCH (libsndfile) writes the lengths when it closes the file, so
// until then the upload waits (the job retries).
func wavComplete(path string, b []byte) error {
	if !strings.EqualFold(filepath.Ext(path), ".wav") {
		return nil
	}
	if string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return errors.New("not a RIFF/WAVE file")
	}
	if n := binary.LittleEndian.Uint32(b[4:8]); int64(n) != int64(len(b))-8 {
		return fmt.Errorf("still being written (RIFF length %d, file %d bytes)", n, len(b))
	}
	return nil
}

func contentType(p string) string {
	switch strings.ToLower(filepath.Ext(p)) {
	case ".mp3":
		return "audio/mpeg"
	case ".wav":
		return "audio/wav"
	}
	return "application/octet-stream"
}

// PlaybackURL is a presigned GET URL for an uploaded recording, valid for
// URLTTL; "" when the call has no uploaded recording.
func (s *Service) PlaybackURL(a *store.CallAttempt) string {
	if s == nil || a.RecordKey == "" {
		return ""
	}
	return s.o.S3.Presign(a.RecordKey, s.o.URLTTL)
}
