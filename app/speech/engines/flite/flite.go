// Package flite is the embedded English synthesizer: the flite binary run
// once per line (it starts in a few milliseconds), output resampled to the
// phone rate.
package flite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/waihu/waihu/app/speech"
	"github.com/waihu/waihu/app/speech/proc"
)

// Voices flite ships; rms and awb are the clearest on 8 kHz phone audio.
var Voices = []string{"rms", "awb", "slt", "kal", "kal16"}

// Engine synthesizes English with flite.
type Engine struct {
	Bin     string        // default "flite"
	Voice   string        // default "rms"
	Timeout time.Duration // per line, default 10 s
	sem     chan struct{}
}

// New checks the binary exists.
func New(bin string) (*Engine, error) {
	if bin == "" {
		bin = "flite"
	}
	p, err := exec.LookPath(bin)
	if err != nil {
		return nil, fmt.Errorf("flite: %w: %v", speech.ErrEngineUnavailable, err)
	}
	return &Engine{Bin: p, Voice: "rms", Timeout: 10 * time.Second, sem: make(chan struct{}, 4)}, nil
}

// Info describes the engine.
func (e *Engine) Info() speech.EngineInfo {
	return speech.EngineInfo{Name: "flite", Kind: speech.KindTTS, Languages: []string{"en-US"}, Voices: Voices, Embedded: true}
}

// Synthesize speaks req.Text.
func (e *Engine) Synthesize(ctx context.Context, req speech.SynthRequest) (speech.Audio, error) {
	text := strings.TrimSpace(req.Text)
	if text == "" {
		return speech.Audio{}, speech.ErrEmptySynthesis
	}
	voice := req.Voice
	if voice == "" {
		voice = e.Voice
	}
	known := false
	for _, v := range Voices {
		known = known || v == voice
	}
	if !known {
		return speech.Audio{}, fmt.Errorf("flite voice %q: unknown", voice)
	}
	select {
	case e.sem <- struct{}{}:
		defer func() { <-e.sem }()
	case <-ctx.Done():
		return speech.Audio{}, ctx.Err()
	}
	ctx, cancel := context.WithTimeout(ctx, e.Timeout)
	defer cancel()
	dir, err := os.MkdirTemp("", "waihu-flite-")
	if err != nil {
		return speech.Audio{}, fmt.Errorf("flite: %w", err)
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "out.wav")
	in := filepath.Join(dir, "in.txt")
	// Text goes through a file, never argv, so a leading "-" or odd bytes
	// cannot become options.
	if err := os.WriteFile(in, []byte(text), 0o600); err != nil {
		return speech.Audio{}, fmt.Errorf("flite: %w", err)
	}
	args := []string{"-voice", voice, "--setf", fmt.Sprintf("duration_stretch=%.3f", 1/req.SpeedOr1()), "-f", in, "-o", out}
	if _, err := proc.Run(ctx, nil, e.Bin, args...); err != nil {
		return speech.Audio{}, fmt.Errorf("flite: %w", mapErr(err))
	}
	a, err := readWAV(out)
	if err != nil {
		return speech.Audio{}, fmt.Errorf("flite: %w", err)
	}
	if len(a.PCM) == 0 {
		return speech.Audio{}, speech.ErrEmptySynthesis
	}
	return speech.Resample(a, req.Rate()), nil
}

func readWAV(path string) (speech.Audio, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return speech.Audio{}, err
	}
	return speech.DecodeWAV(b)
}

func mapErr(err error) error {
	if errors.Is(err, proc.ErrTimeout) {
		return fmt.Errorf("%w: %v", speech.ErrEngineTimeout, err)
	}
	return err
}
