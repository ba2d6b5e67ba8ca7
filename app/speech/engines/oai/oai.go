// Package oai adapts any server speaking the OpenAI audio API
// (POST {base}/audio/transcriptions, multipart; POST {base}/audio/speech,
// JSON → audio bytes) through github.com/sashabaranov/go-openai. Many
// self-hosted servers (SenseVoice / CosyVoice / whisper wrappers) and some
// clouds speak it. Tested against a local server implementing the documented
// protocol; not run against a live service.
package oai

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/waihu/waihu/app/speech"
)

// Config names the server and models.
type Config struct {
	Name       string // engine name in the registry, default "openai"
	BaseURL    string // e.g. https://api.openai.com/v1 or http://asr.local:8000/v1
	APIKey     string
	ASRModel   string // default whisper-1
	TTSModel   string // default tts-1
	Voice      string // default alloy
	Languages  []string
	Timeout    time.Duration // per request, default 15 s
	HTTPClient *http.Client
}

// Engine is both recognizer (file and buffered-stream) and synthesizer.
type Engine struct {
	cfg    Config
	client *openai.Client
}

// New builds the client.
func New(cfg Config) (*Engine, error) {
	if cfg.BaseURL == "" {
		return nil, errors.New("openai speech: base_url is required")
	}
	if cfg.Name == "" {
		cfg.Name = "openai"
	}
	if cfg.ASRModel == "" {
		cfg.ASRModel = openai.Whisper1
	}
	if cfg.TTSModel == "" {
		cfg.TTSModel = string(openai.TTSModel1)
	}
	if cfg.Voice == "" {
		cfg.Voice = string(openai.VoiceAlloy)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	if len(cfg.Languages) == 0 {
		cfg.Languages = []string{"zh-CN", "en-US"}
	}
	oc := openai.DefaultConfig(cfg.APIKey)
	oc.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.HTTPClient != nil {
		oc.HTTPClient = cfg.HTTPClient
	}
	return &Engine{cfg: cfg, client: openai.NewClientWithConfig(oc)}, nil
}

// Info describes the engine (one name for both kinds).
func (e *Engine) Info() speech.EngineInfo {
	return speech.EngineInfo{Name: e.cfg.Name, Kind: speech.KindASR, Languages: e.cfg.Languages, Voices: []string{e.cfg.Voice}}
}

// TTS returns a view of the engine whose Info says tts, for the registry.
func (e *Engine) TTS() speech.Synthesizer { return ttsView{e} }

type ttsView struct{ e *Engine }

func (t ttsView) Info() speech.EngineInfo {
	i := t.e.Info()
	i.Kind = speech.KindTTS
	return i
}

func (t ttsView) Synthesize(ctx context.Context, r speech.SynthRequest) (speech.Audio, error) {
	return t.e.Synthesize(ctx, r)
}

func lang(l string) string {
	l, _, _ = strings.Cut(l, "-")
	return strings.ToLower(l)
}

func wrap(op string, err error) error {
	var ae *openai.APIError
	var re *openai.RequestError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("openai %s: %w", op, speech.ErrEngineTimeout)
	case errors.As(err, &ae):
		return fmt.Errorf("openai %s: %w: HTTP %d %s", op, speech.ErrEngineUnavailable, ae.HTTPStatusCode, ae.Message)
	case errors.As(err, &re):
		return fmt.Errorf("openai %s: %w: HTTP %d", op, speech.ErrEngineUnavailable, re.HTTPStatusCode)
	}
	return fmt.Errorf("openai %s: %w: %v", op, speech.ErrEngineUnavailable, err)
}

// Recognize uploads the recording as WAV and asks for verbose_json (text,
// segments with avg_logprob for a confidence, words when the server has them).
func (e *Engine) Recognize(ctx context.Context, a speech.Audio, opts speech.RecognizeOptions) (speech.Result, error) {
	t0 := time.Now()
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()
	req := openai.AudioRequest{
		Model:    e.cfg.ASRModel,
		FilePath: "turn.wav",
		Reader:   bytes.NewReader(speech.EncodeWAV(a)),
		Language: lang(opts.Language),
		Format:   openai.AudioResponseFormatVerboseJSON,
		// Expected phrases as a prompt bias recognition toward them.
		Prompt: strings.Join(opts.Phrases, ", "),
	}
	resp, err := e.client.CreateTranscription(ctx, req)
	if err != nil {
		return speech.Result{}, wrap("transcription", err)
	}
	res := speech.Result{Text: strings.TrimSpace(resp.Text), Final: true, Engine: e.cfg.Name, Confidence: 1}
	if n := len(resp.Segments); n > 0 {
		var lp float64
		for _, s := range resp.Segments {
			lp += s.AvgLogprob
		}
		res.Confidence = math.Exp(lp / float64(n))
		res.StartMs = int(resp.Segments[0].Start * 1000)
		res.EndMs = int(resp.Segments[n-1].End * 1000)
	}
	for _, w := range resp.Words {
		res.Words = append(res.Words, speech.Word{Text: w.Word, StartMs: int(w.Start * 1000), EndMs: int(w.End * 1000), Confidence: res.Confidence})
	}
	if res.Text == "" {
		res.Confidence = 0
	}
	res.Latency = time.Since(t0)
	return res, nil
}

// Start buffers the turn and transcribes it at Finish: the OpenAI audio API
// is not streaming, so this engine costs one request per turn.
func (e *Engine) Start(_ context.Context, opts speech.RecognizeOptions) (speech.RecognitionStream, error) {
	p := make(chan speech.Result)
	close(p)
	return &buffered{e: e, opts: opts, partials: p}, nil
}

type buffered struct {
	e        *Engine
	opts     speech.RecognizeOptions
	pcm      []byte
	partials chan speech.Result
}

func (b *buffered) Write(p []byte) error {
	if len(b.pcm)+len(p) > 60*16000*2 {
		return errors.New("openai transcription: turn longer than 60 s")
	}
	b.pcm = append(b.pcm, p...)
	return nil
}
func (b *buffered) Partials() <-chan speech.Result { return b.partials }
func (b *buffered) Close() error                   { return nil }
func (b *buffered) Finish(ctx context.Context) (speech.Result, error) {
	t0 := time.Now()
	r, err := b.e.Recognize(ctx, speech.Audio{SampleRate: b.opts.Rate(), Channels: 1, PCM: b.pcm}, b.opts)
	r.Latency = time.Since(t0)
	return r, err
}

// Synthesize asks for WAV (carries its rate; "pcm" would be fixed 24 kHz).
func (e *Engine) Synthesize(ctx context.Context, r speech.SynthRequest) (speech.Audio, error) {
	if strings.TrimSpace(r.Text) == "" {
		return speech.Audio{}, speech.ErrEmptySynthesis
	}
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()
	voice := r.Voice
	if voice == "" {
		voice = e.cfg.Voice
	}
	resp, err := e.client.CreateSpeech(ctx, openai.CreateSpeechRequest{
		Model: openai.SpeechModel(e.cfg.TTSModel), Input: r.Text, Voice: openai.SpeechVoice(voice),
		ResponseFormat: openai.SpeechResponseFormatWav, Speed: r.SpeedOr1(),
	})
	if err != nil {
		return speech.Audio{}, wrap("speech", err)
	}
	defer resp.Close()
	b, err := io.ReadAll(io.LimitReader(resp, 50<<20))
	if err != nil {
		return speech.Audio{}, wrap("speech", err)
	}
	a, err := speech.DecodeWAV(b)
	if err != nil {
		return speech.Audio{}, fmt.Errorf("openai speech: %w", err)
	}
	if a.Channels > 1 {
		a = mono(a)
	}
	if len(a.PCM) == 0 {
		return speech.Audio{}, speech.ErrEmptySynthesis
	}
	return speech.Resample(a, r.Rate()), nil
}

func mono(a speech.Audio) speech.Audio {
	s := speech.Samples(a.PCM)
	out := make([]int16, 0, len(s)/a.Channels)
	for i := 0; i+a.Channels <= len(s); i += a.Channels {
		var sum int
		for c := range a.Channels {
			sum += int(s[i+c])
		}
		out = append(out, int16(sum/a.Channels))
	}
	return speech.Audio{SampleRate: a.SampleRate, Channels: 1, PCM: speech.PCMBytes(out)}
}
