package aliyun

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/waihu/waihu/app/speech"
)

// TTSConfig configures NLS speech synthesis over its RESTful interface
// (POST https://nls-gateway-cn-shanghai.aliyuncs.com/stream/v1/tts with a
// JSON body {appkey, token, text, format, sample_rate, voice, volume,
// speech_rate, pitch_rate}; audio bytes on success, a JSON error body with
// status and message otherwise).
type TTSConfig struct {
	Name    string // registry name, default "aliyun-tts"
	AppKey  string
	Tokens  TokenSource
	URL     string // default https://nls-gateway-cn-shanghai.aliyuncs.com/stream/v1/tts
	Voice   string // default xiaoyun
	Timeout time.Duration
	Client  *http.Client
}

// TTS is the NLS synthesizer.
type TTS struct{ cfg TTSConfig }

// NewTTS validates the config.
func NewTTS(cfg TTSConfig) (*TTS, error) {
	if cfg.AppKey == "" || cfg.Tokens == nil {
		return nil, fmt.Errorf("aliyun tts: appkey and a token source are required")
	}
	if cfg.Name == "" {
		cfg.Name = "aliyun-tts"
	}
	if cfg.URL == "" {
		cfg.URL = "https://nls-gateway-cn-shanghai.aliyuncs.com/stream/v1/tts"
	}
	if cfg.Voice == "" {
		cfg.Voice = "xiaoyun"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{}
	}
	return &TTS{cfg: cfg}, nil
}

// Info describes the engine.
func (t *TTS) Info() speech.EngineInfo {
	return speech.EngineInfo{Name: t.cfg.Name, Kind: speech.KindTTS, Languages: []string{"zh-CN"}, Voices: []string{t.cfg.Voice}}
}

// SpeechRate maps a speed factor to NLS speech_rate: -500 is 0.5×, 500 is 2×.
func SpeechRate(speed float64) int {
	if speed <= 0 {
		speed = 1
	}
	var r float64
	if speed >= 1 {
		r = (1 - 1/speed) / 0.001
	} else {
		r = (1 - 1/speed) / 0.002
	}
	return int(math.Round(math.Max(-500, math.Min(500, r))))
}

// Synthesize asks for raw PCM at the phone rate.
func (t *TTS) Synthesize(ctx context.Context, r speech.SynthRequest) (speech.Audio, error) {
	if strings.TrimSpace(r.Text) == "" {
		return speech.Audio{}, speech.ErrEmptySynthesis
	}
	tok, err := t.cfg.Tokens.Token(ctx)
	if err != nil {
		return speech.Audio{}, fmt.Errorf("aliyun tts token: %w: %v", speech.ErrEngineUnavailable, err)
	}
	voice := r.Voice
	if voice == "" {
		voice = t.cfg.Voice
	}
	body, _ := json.Marshal(map[string]any{
		"appkey": t.cfg.AppKey, "token": tok, "text": r.Text, "format": "pcm", "sample_rate": r.Rate(),
		"voice": voice, "volume": 50, "speech_rate": SpeechRate(r.SpeedOr1()), "pitch_rate": 0,
	})
	ctx, cancel := context.WithTimeout(ctx, t.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return speech.Audio{}, fmt.Errorf("aliyun tts: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := t.cfg.Client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return speech.Audio{}, fmt.Errorf("aliyun tts: %w", speech.ErrEngineTimeout)
		}
		return speech.Audio{}, fmt.Errorf("aliyun tts: %w: %v", speech.ErrEngineUnavailable, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 50<<20))
	if err != nil {
		return speech.Audio{}, fmt.Errorf("aliyun tts: %w: %v", speech.ErrEngineUnavailable, err)
	}
	if resp.StatusCode != http.StatusOK || strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		var e struct {
			Status  int    `json:"status"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(data, &e)
		return speech.Audio{}, fmt.Errorf("aliyun tts: %w: HTTP %d status %d %s", speech.ErrEngineUnavailable, resp.StatusCode, e.Status, e.Message)
	}
	if len(data) < 2 {
		return speech.Audio{}, speech.ErrEmptySynthesis
	}
	return speech.Audio{SampleRate: r.Rate(), Channels: 1, PCM: data[:len(data)&^1]}, nil
}
