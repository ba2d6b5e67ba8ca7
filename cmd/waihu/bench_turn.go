package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"

	speechbench "github.com/waihu/waihu/app/speech/bench"
)

// turnPart is one part of the turn in the printed JSON.
type turnPart struct {
	P50 float64 `json:"p50_ms"`
	P95 float64 `json:"p95_ms"`
	Max float64 `json:"max_ms"`
}

// turnJSON is what `waihu bench turn` prints: the split of the time from
// the callee's last audio frame to the robot's reply command, keyed by part,
// so scripts can read .parts.robot.p95_ms without searching a list.
type turnJSON struct {
	Turns     int                 `json:"turns"`
	Correct   int                 `json:"recognized_right"`
	Degraded  int                 `json:"degraded"`
	Paced     bool                `json:"paced"`
	Cached    bool                `json:"cached"`
	SilenceMs int                 `json:"endpoint_silence_ms"`
	Parts     map[string]turnPart `json:"parts"`
	Order     []string            `json:"order"`
}

// benchTurn runs app/speech/bench over simulated turns through the real
// audio path (mod_audio_stream-shaped WebSocket → stream server → VAD →
// pocketsphinx → reply choice → TTS cache or flite → playback command).
func benchTurn(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("waihu bench turn", flag.ContinueOnError)
	fs.SetOutput(stderr)
	turns := fs.Int("turns", 30, "turns to simulate (one call, answers cycling through a small English script)")
	silence := fs.Int("silence-ms", 700, "endpointing silence in ms (end of utterance after this much silence)")
	cached := fs.Bool("cached", true, "serve replies from the prewarmed TTS cache; --cached=false synthesizes each reply in the turn (a line with variables)")
	noPace := fs.Bool("no-pace", false, "send the callee's audio as fast as possible instead of one 20 ms frame per 20 ms (figures are then not a phone line's)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *turns < 1 || *turns > 100000 {
		return fmt.Errorf("--turns must be between 1 and 100000, got %d", *turns)
	}
	if *silence < 100 || *silence > 10000 {
		return fmt.Errorf("--silence-ms must be between 100 and 10000, got %d", *silence)
	}
	rep, err := speechbench.Turn(ctx, speechbench.Options{Turns: *turns, SilenceMs: *silence, Uncached: !*cached, NoPace: *noPace})
	if err != nil {
		return err
	}
	out := turnJSON{Turns: rep.Turns, Correct: rep.Correct, Degraded: rep.Degraded, Paced: rep.Paced,
		Cached: rep.Cached, SilenceMs: rep.SilenceMs, Parts: map[string]turnPart{}}
	for _, s := range rep.Stages {
		out.Parts[s.Name] = turnPart{P50: round3(s.P50), P95: round3(s.P95), Max: round3(s.Max)}
		out.Order = append(out.Order, s.Name)
	}
	fmt.Fprint(stderr, rep.String())
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// round3 keeps microseconds: finer digits are float noise, not measurement.
func round3(ms float64) float64 { return math.Round(ms*1000) / 1000 }
