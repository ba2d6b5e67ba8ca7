// Package ttscache keeps synthesized prompts on disk, named by the hash of
// what produced them (engine, voice, speed, rate, text), and serves them to
// FreeSWITCH over HTTP for mod_http_cache, so nodes need no shared disk.
// Fixed lines are synthesized at publish time (Prewarm); lines with
// variables on first use during the call. Uploaded recordings are converted
// with sox and loudness-normalized into the same store.
package ttscache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/waihu/waihu/app/speech"
)

// Key is everything that changes the audio.
type Key struct {
	Engine     string  `json:"e"`
	Voice      string  `json:"v"`
	Speed      float64 `json:"s"`
	SampleRate int     `json:"r"`
	Text       string  `json:"t"`
}

func (k Key) norm() Key {
	if k.Speed <= 0 {
		k.Speed = 1
	}
	if k.SampleRate <= 0 {
		k.SampleRate = 8000
	}
	k.Text = strings.TrimSpace(k.Text)
	return k
}

// Hash names the file: 32 hex characters of SHA-256 over the canonical key.
func (k Key) Hash() string {
	b, _ := json.Marshal(k.norm())
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:16])
}

// Entry is one cached prompt.
type Entry struct {
	Hash       string `json:"hash"`
	Path       string `json:"-"`
	DurationMs int    `json:"duration_ms"`
	Cached     bool   `json:"cached"` // false when this call synthesized it
}

// File is the name FreeSWITCH requests.
func (e Entry) File() string { return e.Hash + ".wav" }

// Lookup finds a synthesizer by engine name (the speech.Registry or a map).
type Lookup func(engine string) (speech.Synthesizer, error)

// Cache is safe for concurrent use; concurrent requests for one key
// synthesize once.
type Cache struct {
	dir     string
	lookup  Lookup
	Timeout time.Duration // per synthesis, default 15 s
	mu      sync.Mutex
	flight  map[string]*call
}

type call struct {
	done chan struct{}
	e    Entry
	err  error
}

// New opens (creating) the cache directory.
func New(dir string, lookup Lookup) (*Cache, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("tts cache dir %s: %w", dir, err)
	}
	return &Cache{dir: dir, lookup: lookup, Timeout: 15 * time.Second, flight: map[string]*call{}}, nil
}

// Dir is the cache directory.
func (c *Cache) Dir() string { return c.dir }

// validHash guards every path built from a request: only 32 lowercase hex.
func validHash(h string) bool {
	if len(h) != 32 {
		return false
	}
	for _, r := range h {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

func (c *Cache) path(hash string) string {
	return filepath.Join(c.dir, hash[:2], hash+".wav")
}

// Stat returns the entry for hash if present.
func (c *Cache) Stat(hash string) (Entry, bool) {
	if !validHash(hash) {
		return Entry{}, false
	}
	p := c.path(hash)
	fi, err := os.Stat(p)
	if err != nil {
		return Entry{}, false
	}
	// Canonical 44-byte header, 16-bit mono; the rate is in the header but
	// the duration estimate only needs the size for 8 kHz prompts.
	return Entry{Hash: hash, Path: p, DurationMs: durationOf(p, fi.Size()), Cached: true}, true
}

func durationOf(p string, size int64) int {
	f, err := os.Open(p)
	if err != nil {
		return 0
	}
	defer f.Close()
	hdr := make([]byte, 44)
	if _, err := f.Read(hdr); err != nil {
		return 0
	}
	rate := int64(hdr[24]) | int64(hdr[25])<<8 | int64(hdr[26])<<16 | int64(hdr[27])<<24
	if rate <= 0 {
		return 0
	}
	return int((size - 44) / 2 * 1000 / rate)
}

// Get returns the prompt for k, synthesizing it on a miss.
func (c *Cache) Get(ctx context.Context, k Key) (Entry, error) {
	k = k.norm()
	if k.Text == "" {
		return Entry{}, fmt.Errorf("tts cache: %w", speech.ErrEmptySynthesis)
	}
	h := k.Hash()
	if e, ok := c.Stat(h); ok {
		return e, nil
	}
	c.mu.Lock()
	if cl, ok := c.flight[h]; ok {
		c.mu.Unlock()
		select {
		case <-cl.done:
			return cl.e, cl.err
		case <-ctx.Done():
			return Entry{}, ctx.Err()
		}
	}
	cl := &call{done: make(chan struct{})}
	c.flight[h] = cl
	c.mu.Unlock()
	cl.e, cl.err = c.synth(ctx, k, h)
	c.mu.Lock()
	delete(c.flight, h)
	c.mu.Unlock()
	close(cl.done)
	return cl.e, cl.err
}

func (c *Cache) synth(ctx context.Context, k Key, h string) (Entry, error) {
	s, err := c.lookup(k.Engine)
	if err != nil {
		return Entry{}, fmt.Errorf("tts cache engine %q: %w", k.Engine, err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	a, err := s.Synthesize(ctx, speech.SynthRequest{Text: k.Text, Voice: k.Voice, Speed: k.Speed, SampleRate: k.SampleRate})
	if err != nil {
		return Entry{}, fmt.Errorf("synthesize %q with %s: %w", clip(k.Text), k.Engine, err)
	}
	if len(a.PCM) == 0 {
		return Entry{}, fmt.Errorf("synthesize %q with %s: %w", clip(k.Text), k.Engine, speech.ErrEmptySynthesis)
	}
	if a.SampleRate != k.SampleRate {
		a = speech.Resample(a, k.SampleRate)
	}
	if err := c.write(h, a); err != nil {
		return Entry{}, err
	}
	return Entry{Hash: h, Path: c.path(h), DurationMs: a.DurationMs()}, nil
}

func (c *Cache) write(h string, a speech.Audio) error {
	p := c.path(h)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("tts cache: %w", err)
	}
	// Write then rename, so FreeSWITCH never fetches half a file.
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return fmt.Errorf("tts cache: %w", err)
	}
	_, werr := tmp.Write(speech.EncodeWAV(a))
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("tts cache write %s: %w", h, err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("tts cache write %s: %w", h, err)
	}
	return nil
}

func clip(s string) string {
	if r := []rune(s); len(r) > 24 {
		return string(r[:24]) + "…"
	}
	return s
}

// PrewarmResult reports one line of a publish-time synthesis.
type PrewarmResult struct {
	Line  int    `json:"line"` // index in the input
	Text  string `json:"text"`
	Entry Entry  `json:"entry"`
	Err   string `json:"error,omitempty"`
}

// Prewarm synthesizes every fixed line with the same engine settings
// (base.Text is ignored). It goes on past failures and reports each line;
// the error joins the failures, naming the line numbers.
func (c *Cache) Prewarm(ctx context.Context, base Key, lines []string) ([]PrewarmResult, error) {
	out := make([]PrewarmResult, len(lines))
	var errs []error
	for i, l := range lines {
		k := base
		k.Text = l
		e, err := c.Get(ctx, k)
		out[i] = PrewarmResult{Line: i, Text: l, Entry: e}
		if err != nil {
			out[i].Err = err.Error()
			errs = append(errs, fmt.Errorf("line %d: %w", i+1, err))
		}
		if ctx.Err() != nil {
			break
		}
	}
	return out, errors.Join(errs...)
}

// Normalize scales PCM to a target RMS level (dBFS), limited so the peak
// stays at or below peakDBFS. Recorded prompts arrive at every level; the
// callee should not have to reach for the volume between the robot's
// synthesized and recorded lines.
func Normalize(a speech.Audio, targetDBFS, peakDBFS float64) speech.Audio {
	s := speech.Samples(a.PCM)
	if len(s) == 0 {
		return a
	}
	var sum float64
	var peak float64
	for _, v := range s {
		f := float64(v)
		sum += f * f
		peak = math.Max(peak, math.Abs(f))
	}
	rms := math.Sqrt(sum / float64(len(s)))
	if rms < 1 {
		return a // silence: nothing to scale
	}
	gain := math.Pow(10, (targetDBFS-20*math.Log10(rms/32768))/20)
	if lim := math.Pow(10, peakDBFS/20) * 32767 / peak; gain > lim {
		gain = lim
	}
	for i, v := range s {
		s[i] = int16(math.Max(-32768, math.Min(32767, math.Round(float64(v)*gain))))
	}
	return speech.Audio{SampleRate: a.SampleRate, Channels: a.Channels, PCM: speech.PCMBytes(s)}
}

// LevelDBFS returns the RMS level of a in dBFS (-96 for silence).
func LevelDBFS(a speech.Audio) float64 {
	s := speech.Samples(a.PCM)
	var sum float64
	for _, v := range s {
		sum += float64(v) * float64(v)
	}
	if len(s) == 0 || sum == 0 {
		return -96
	}
	return 20 * math.Log10(math.Sqrt(sum/float64(len(s)))/32768)
}

// ParseFile splits "<hash>.wav" (what the HTTP path carries).
func ParseFile(name string) (string, bool) {
	h, ok := strings.CutSuffix(name, ".wav")
	return h, ok && validHash(h)
}
