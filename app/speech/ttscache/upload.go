package ttscache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/waihu/waihu/app/speech"
	"github.com/waihu/waihu/app/speech/proc"
)

// Loudness targets for uploaded recordings: -20 dBFS RMS (a common level
// for telephone prompts), peak at most -1 dBFS.
const (
	TargetDBFS = -20.0
	PeakDBFS   = -1.0
)

// ImportRecording converts an uploaded recording (any format the installed
// sox reads: wav, flac, ogg, au, aiff, mp3 with libsox-fmt-mp3) to 8 kHz mono
// 16-bit WAV, normalizes its loudness and stores it under the hash of the
// result. name is the uploaded file name; every error names it.
func (c *Cache) ImportRecording(ctx context.Context, name string, data []byte) (Entry, error) {
	base := filepath.Base(name)
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(base), "."))
	if ext == "" || len(ext) > 5 || strings.ContainsAny(ext, `/\ `) {
		return Entry{}, fmt.Errorf("recording %q: file name needs an audio extension (.wav, .mp3, .ogg…)", base)
	}
	if len(data) == 0 {
		return Entry{}, fmt.Errorf("recording %q: file is empty", base)
	}
	if _, err := exec.LookPath("sox"); err != nil {
		return Entry{}, fmt.Errorf("recording %q: sox is not installed: %w", base, speech.ErrEngineUnavailable)
	}
	dir, err := os.MkdirTemp("", "waihu-upload-")
	if err != nil {
		return Entry{}, fmt.Errorf("recording %q: %w", base, err)
	}
	defer os.RemoveAll(dir)
	// Fixed names inside our temp dir: the uploaded name never reaches argv
	// or the filesystem.
	in := filepath.Join(dir, "in."+ext)
	out := filepath.Join(dir, "out.wav")
	if err := os.WriteFile(in, data, 0o600); err != nil {
		return Entry{}, fmt.Errorf("recording %q: %w", base, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if _, err := proc.Run(ctx, nil, "sox", "-V1", in, "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", out); err != nil {
		return Entry{}, fmt.Errorf("recording %q: sox cannot convert it: %w", base, err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return Entry{}, fmt.Errorf("recording %q: %w", base, err)
	}
	a, err := speech.DecodeWAV(b)
	if err != nil {
		return Entry{}, fmt.Errorf("recording %q: %w", base, err)
	}
	if a.DurationMs() < 100 {
		return Entry{}, fmt.Errorf("recording %q: shorter than 0.1 s", base)
	}
	if LevelDBFS(a) < -70 {
		return Entry{}, fmt.Errorf("recording %q: silent", base)
	}
	a = Normalize(a, TargetDBFS, PeakDBFS)
	sum := sha256.Sum256(a.PCM)
	h := hex.EncodeToString(sum[:16])
	if e, ok := c.Stat(h); ok {
		return e, nil
	}
	if err := c.write(h, a); err != nil {
		return Entry{}, fmt.Errorf("recording %q: %w", base, err)
	}
	return Entry{Hash: h, Path: c.path(h), DurationMs: a.DurationMs()}, nil
}
