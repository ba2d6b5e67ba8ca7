// Package tencent speaks Tencent Cloud's real-time ASR WebSocket protocol
// (cloud.tencent.com/document/product/1093/48982): connect to
// wss://asr.cloud.tencent.com/asr/v2/<appid>?<params>&signature=<sig>, where
// the signature is base64(HMAC-SHA1(SecretKey, "asr.cloud.tencent.com/asr/v2/
// <appid>?" + params sorted by key as k=v joined by &)); send binary PCM,
// then the text {"type":"end"}; results are JSON {code, message, voice_id,
// result{slice_type 0 partial /1 sentence end /2 segment end, start_time,
// end_time, voice_text_str, word_list}, final}. Tested against a local server
// implementing that document; not run against the live service.
package tencent

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/waihu/waihu/app/speech"
)

// Config holds the account and model.
type Config struct {
	Name      string // registry name, default "tencent"
	AppID     string
	SecretID  string
	SecretKey string
	Host      string // default asr.cloud.tencent.com (tests point it at a local server)
	Scheme    string // default wss
	// EngineModel overrides the model; default 8k_zh or 16k_zh by rate.
	EngineModel string
	FinalWait   time.Duration // after {"type":"end"}, default 3 s
	Now         func() time.Time
}

// Engine is a Tencent real-time recognizer.
type Engine struct{ cfg Config }

// New validates the config.
func New(cfg Config) (*Engine, error) {
	if cfg.AppID == "" || cfg.SecretID == "" || cfg.SecretKey == "" {
		return nil, fmt.Errorf("tencent asr: app_id, secret_id and secret_key are required")
	}
	if cfg.Name == "" {
		cfg.Name = "tencent"
	}
	if cfg.Host == "" {
		cfg.Host = "asr.cloud.tencent.com"
	}
	if cfg.Scheme == "" {
		cfg.Scheme = "wss"
	}
	if cfg.FinalWait <= 0 {
		cfg.FinalWait = 3 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Engine{cfg: cfg}, nil
}

// Info describes the engine.
func (e *Engine) Info() speech.EngineInfo {
	return speech.EngineInfo{Name: e.cfg.Name, Kind: speech.KindASR, Languages: []string{"zh-CN"}, Streaming: true}
}

// Sign returns the signature for params (without "signature").
func Sign(secretKey, host, appID string, params map[string]string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(host + "/asr/v2/" + appID + "?")
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k + "=" + params[k])
	}
	m := hmac.New(sha1.New, []byte(secretKey))
	m.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// URL builds the signed connection URL for one recognition.
func (e *Engine) URL(opts speech.RecognizeOptions, voiceID string) string {
	now := e.cfg.Now()
	model := e.cfg.EngineModel
	if model == "" {
		model = "8k_zh"
		if opts.Rate() == 16000 {
			model = "16k_zh"
		}
	}
	nonce := make([]byte, 4)
	_, _ = rand.Read(nonce)
	p := map[string]string{
		"secretid":          e.cfg.SecretID,
		"timestamp":         strconv.FormatInt(now.Unix(), 10),
		"expired":           strconv.FormatInt(now.Add(24*time.Hour).Unix(), 10),
		"nonce":             strconv.FormatUint(uint64(nonce[0])<<24|uint64(nonce[1])<<16|uint64(nonce[2])<<8|uint64(nonce[3]), 10),
		"engine_model_type": model,
		"voice_id":          voiceID,
		"voice_format":      "1", // pcm
		"needvad":           "1",
		"word_info":         "1",
	}
	if len(opts.Phrases) > 0 {
		var hw []string
		for _, ph := range opts.Phrases {
			if ph = strings.TrimSpace(ph); ph != "" && !strings.ContainsAny(ph, "|,") {
				hw = append(hw, ph+"|10")
			}
		}
		if len(hw) > 0 {
			p["hotword_list"] = strings.Join(hw, ",")
		}
	}
	sig := Sign(e.cfg.SecretKey, e.cfg.Host, e.cfg.AppID, p)
	q := url.Values{}
	for k, v := range p {
		q.Set(k, v)
	}
	q.Set("signature", sig)
	return e.cfg.Scheme + "://" + e.cfg.Host + "/asr/v2/" + url.PathEscape(e.cfg.AppID) + "?" + q.Encode()
}

// Response is one server message.
type Response struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	VoiceID string `json:"voice_id"`
	Result  *struct {
		SliceType    int    `json:"slice_type"`
		Index        int    `json:"index"`
		StartTime    int    `json:"start_time"`
		EndTime      int    `json:"end_time"`
		VoiceTextStr string `json:"voice_text_str"`
		WordList     []struct {
			Word      string `json:"word"`
			StartTime int    `json:"start_time"`
			EndTime   int    `json:"end_time"`
		} `json:"word_list"`
	} `json:"result"`
	Final int `json:"final"`
}

// Start connects for one turn.
func (e *Engine) Start(ctx context.Context, opts speech.RecognizeOptions) (speech.RecognitionStream, error) {
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	voiceID := hex.EncodeToString(id)
	dctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	conn, resp, err := websocket.DefaultDialer.DialContext(dctx, e.URL(opts, voiceID), nil)
	if err != nil {
		if resp != nil {
			err = fmt.Errorf("%v (HTTP %d)", err, resp.StatusCode)
		}
		return nil, fmt.Errorf("tencent asr connect: %w: %v", speech.ErrEngineUnavailable, err)
	}
	// The handshake reply: code 0 means the signature and parameters passed.
	_ = conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	var first Response
	if err := conn.ReadJSON(&first); err != nil {
		conn.Close()
		return nil, fmt.Errorf("tencent asr handshake: %w: %v", speech.ErrEngineUnavailable, err)
	}
	if first.Code != 0 {
		conn.Close()
		return nil, fmt.Errorf("tencent asr handshake: %w: code %d %s", speech.ErrEngineUnavailable, first.Code, first.Message)
	}
	_ = conn.SetReadDeadline(time.Time{})
	s := &stream{e: e, conn: conn, partials: make(chan speech.Result, 16), done: make(chan struct{})}
	go s.read()
	return s, nil
}

// Recognize streams a recording (utterance mode).
func (e *Engine) Recognize(ctx context.Context, a speech.Audio, opts speech.RecognizeOptions) (speech.Result, error) {
	return speech.FileFromStream(e).Recognize(ctx, a, opts)
}

type stream struct {
	e        *Engine
	conn     *websocket.Conn
	wmu      sync.Mutex
	mu       sync.Mutex
	sentence map[int]string // index → latest text; slice_type 1/2 settle it
	res      speech.Result
	err      error
	final    bool
	partials chan speech.Result
	done     chan struct{}
	closed   bool
}

func (s *stream) read() {
	defer close(s.done)
	defer close(s.partials)
	s.sentence = map[int]string{}
	for {
		var r Response
		if err := s.conn.ReadJSON(&r); err != nil {
			s.mu.Lock()
			if !s.final {
				s.err = err
			}
			s.mu.Unlock()
			return
		}
		s.mu.Lock()
		if r.Code != 0 {
			s.err = fmt.Errorf("code %d %s", r.Code, r.Message)
			s.mu.Unlock()
			return
		}
		if r.Result != nil {
			s.sentence[r.Result.Index] = r.Result.VoiceTextStr
			if s.res.StartMs == 0 || r.Result.StartTime < s.res.StartMs {
				s.res.StartMs = r.Result.StartTime
			}
			s.res.EndMs = max(s.res.EndMs, r.Result.EndTime)
			if r.Result.SliceType != 0 {
				for _, w := range r.Result.WordList {
					s.res.Words = append(s.res.Words, speech.Word{Text: w.Word, StartMs: w.StartTime, EndMs: w.EndTime, Confidence: 1})
				}
			}
		}
		text := s.joined()
		final := r.Final == 1
		s.final = s.final || final
		s.mu.Unlock()
		if final {
			return
		}
		if r.Result != nil && r.Result.SliceType == 0 {
			select {
			case s.partials <- speech.Result{Text: text, Engine: s.e.cfg.Name}:
			default:
			}
		}
	}
}

func (s *stream) joined() string {
	idx := make([]int, 0, len(s.sentence))
	for i := range s.sentence {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	var b strings.Builder
	for _, i := range idx {
		b.WriteString(s.sentence[i])
	}
	return b.String()
}

func (s *stream) Partials() <-chan speech.Result { return s.partials }

func (s *stream) Write(pcm []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_ = s.conn.SetWriteDeadline(time.Now().Add(2 * time.Second))
	if err := s.conn.WriteMessage(websocket.BinaryMessage, pcm); err != nil {
		return fmt.Errorf("tencent asr audio: %w: %v", speech.ErrEngineUnavailable, err)
	}
	return nil
}

func (s *stream) Finish(ctx context.Context) (speech.Result, error) {
	t0 := time.Now()
	defer s.Close()
	s.wmu.Lock()
	err := s.conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"end"}`))
	s.wmu.Unlock()
	if err != nil {
		return speech.Result{}, fmt.Errorf("tencent asr end: %w: %v", speech.ErrEngineUnavailable, err)
	}
	t := time.NewTimer(s.e.cfg.FinalWait)
	defer t.Stop()
	select {
	case <-s.done:
	case <-t.C:
		return speech.Result{}, fmt.Errorf("tencent asr: %w: no final %v after end", speech.ErrEngineTimeout, s.e.cfg.FinalWait)
	case <-ctx.Done():
		return speech.Result{}, fmt.Errorf("tencent asr: %w", speech.ErrEngineTimeout)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.final {
		return speech.Result{}, fmt.Errorf("tencent asr result: %w: %v", speech.ErrEngineUnavailable, s.err)
	}
	res := s.res
	res.Text, res.Final, res.Engine, res.Latency = s.joined(), true, s.e.cfg.Name, time.Since(t0)
	if res.Text != "" {
		res.Confidence = 1 // the protocol carries no confidence
	}
	return res, nil
}

func (s *stream) Close() error {
	s.mu.Lock()
	done := s.closed
	s.closed = true
	s.mu.Unlock()
	if done {
		return nil
	}
	err := s.conn.Close()
	<-s.done
	return err
}
