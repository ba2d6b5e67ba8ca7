// Package funasr speaks FunASR's WebSocket protocol (runtime/docs/
// websocket_protocol.md in modelscope/FunASR), the usual self-hosted
// streaming Mandarin recognizer: a JSON config first ({"mode","wav_name",
// "wav_format":"pcm","is_speaking":true,"chunk_size","audio_fs",
// "hotwords","itn"}), then binary PCM, then {"is_speaking":false}; results
// come back as JSON with "mode", "text", "is_final" and optional
// "timestamp". In 2pass mode "2pass-online" messages carry incremental text
// (partials) and "2pass-offline" the corrected sentence (final). Tested
// against a local server implementing that document; not run against a
// live FunASR.
package funasr

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/waihu/waihu/app/speech"
)

// Config locates the server.
type Config struct {
	Name      string        // registry name, default "funasr"
	URL       string        // ws://host:10095 or wss://…
	Mode      string        // 2pass (default), online, offline
	ChunkSize []int         // default [5,10,5] (600 ms, 300 ms look-ahead/back)
	ITN       *bool         // inverse text normalization, server default when nil
	Header    http.Header   // extra handshake headers (auth proxies)
	Dial      time.Duration // connect timeout, default 3 s
	FinalWait time.Duration // wait after is_speaking:false, default 3 s
}

// Engine is a FunASR streaming recognizer.
type Engine struct{ cfg Config }

// New validates the config.
func New(cfg Config) (*Engine, error) {
	if !strings.HasPrefix(cfg.URL, "ws://") && !strings.HasPrefix(cfg.URL, "wss://") {
		return nil, fmt.Errorf("funasr url %q: must start with ws:// or wss://", cfg.URL)
	}
	if cfg.Name == "" {
		cfg.Name = "funasr"
	}
	if cfg.Mode == "" {
		cfg.Mode = "2pass"
	}
	switch cfg.Mode {
	case "2pass", "online", "offline":
	default:
		return nil, fmt.Errorf("funasr mode %q: want 2pass, online or offline", cfg.Mode)
	}
	if len(cfg.ChunkSize) == 0 {
		cfg.ChunkSize = []int{5, 10, 5}
	}
	if cfg.Dial <= 0 {
		cfg.Dial = 3 * time.Second
	}
	if cfg.FinalWait <= 0 {
		cfg.FinalWait = 3 * time.Second
	}
	return &Engine{cfg: cfg}, nil
}

// Info describes the engine.
func (e *Engine) Info() speech.EngineInfo {
	return speech.EngineInfo{Name: e.cfg.Name, Kind: speech.KindASR, Languages: []string{"zh-CN"}, Streaming: true}
}

type initMsg struct {
	Mode       string `json:"mode"`
	WavName    string `json:"wav_name"`
	WavFormat  string `json:"wav_format"`
	IsSpeaking bool   `json:"is_speaking"`
	ChunkSize  []int  `json:"chunk_size"`
	// chunk_interval is what the reference clients send with chunk_size.
	ChunkInterval int    `json:"chunk_interval"`
	AudioFS       int    `json:"audio_fs"`
	Hotwords      string `json:"hotwords,omitempty"`
	ITN           *bool  `json:"itn,omitempty"`
}

// Message is a server result.
type Message struct {
	Mode      string          `json:"mode"`
	WavName   string          `json:"wav_name"`
	Text      string          `json:"text"`
	IsFinal   bool            `json:"is_final"`
	Timestamp json.RawMessage `json:"timestamp"`
}

// spans parses "timestamp", which servers send as a JSON string holding
// "[[100,200],[200,500]]" or as the array itself.
func (m Message) spans() [][2]int {
	raw := m.Timestamp
	var s string
	if json.Unmarshal(raw, &s) == nil {
		raw = json.RawMessage(s)
	}
	var out [][2]int
	_ = json.Unmarshal(raw, &out)
	return out
}

// Start opens a connection for one turn.
func (e *Engine) Start(ctx context.Context, opts speech.RecognizeOptions) (speech.RecognitionStream, error) {
	d := websocket.Dialer{HandshakeTimeout: e.cfg.Dial}
	dctx, cancel := context.WithTimeout(ctx, e.cfg.Dial)
	defer cancel()
	conn, resp, err := d.DialContext(dctx, e.cfg.URL, e.cfg.Header)
	if err != nil {
		if resp != nil {
			err = fmt.Errorf("%v (HTTP %d)", err, resp.StatusCode)
		}
		return nil, fmt.Errorf("funasr connect: %w: %v", speech.ErrEngineUnavailable, err)
	}
	name := opts.CallUUID
	if name == "" {
		name = "waihu"
	}
	m := initMsg{Mode: e.cfg.Mode, WavName: name, WavFormat: "pcm", IsSpeaking: true, ChunkSize: e.cfg.ChunkSize,
		ChunkInterval: 10, AudioFS: opts.Rate(), ITN: e.cfg.ITN}
	if len(opts.Phrases) > 0 {
		hw := map[string]int{}
		for _, p := range opts.Phrases {
			if p = strings.TrimSpace(p); p != "" {
				hw[p] = 20
			}
		}
		b, _ := json.Marshal(hw)
		m.Hotwords = string(b)
	}
	if err := conn.WriteJSON(m); err != nil {
		conn.Close()
		return nil, fmt.Errorf("funasr config: %w: %v", speech.ErrEngineUnavailable, err)
	}
	s := &stream{e: e, conn: conn, partials: make(chan speech.Result, 16), final: make(chan struct{}), readDone: make(chan struct{})}
	go s.read()
	return s, nil
}

// Recognize streams a recording through one connection (utterance mode).
func (e *Engine) Recognize(ctx context.Context, a speech.Audio, opts speech.RecognizeOptions) (speech.Result, error) {
	return speech.FileFromStream(e).Recognize(ctx, a, opts)
}

type stream struct {
	e        *Engine
	conn     *websocket.Conn
	wmu      sync.Mutex
	mu       sync.Mutex
	online   string   // accumulated 2pass-online / online deltas
	offline  []string // corrected sentences
	spans    [][2]int
	ended    bool // is_speaking:false sent
	gotFinal bool
	err      error
	partials chan speech.Result
	final    chan struct{}
	readDone chan struct{}
	once     sync.Once
	closed   bool
}

func (s *stream) read() {
	defer close(s.readDone)
	defer close(s.partials)
	for {
		var m Message
		_, data, err := s.conn.ReadMessage()
		if err == nil {
			err = json.Unmarshal(data, &m)
			if err != nil {
				err = fmt.Errorf("bad result message %q: %w", clip(data), err)
			}
		}
		if err != nil {
			s.mu.Lock()
			if !s.gotFinal {
				s.err = err
			}
			s.mu.Unlock()
			s.signalFinal()
			return
		}
		s.mu.Lock()
		var partial string
		isFinal := false
		switch m.Mode {
		case "2pass-online", "online":
			s.online += m.Text
			partial = s.online
			// In online mode the last message after is_speaking:false is final.
			isFinal = m.Mode == "online" && s.ended && m.IsFinal
		case "2pass-offline", "offline":
			if t := strings.TrimSpace(m.Text); t != "" {
				s.offline = append(s.offline, t)
			}
			s.online = ""
			s.spans = append(s.spans, m.spans()...)
			isFinal = s.ended
		default:
			isFinal = s.ended && m.IsFinal
		}
		if isFinal {
			s.gotFinal = true
		}
		s.mu.Unlock()
		if partial != "" {
			select {
			case s.partials <- speech.Result{Text: partial, Engine: s.e.cfg.Name}:
			default:
			}
		}
		if isFinal {
			s.signalFinal()
		}
	}
}

func (s *stream) signalFinal() { s.once.Do(func() { close(s.final) }) }

func (s *stream) Partials() <-chan speech.Result { return s.partials }

func (s *stream) Write(pcm []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_ = s.conn.SetWriteDeadline(time.Now().Add(2 * time.Second))
	if err := s.conn.WriteMessage(websocket.BinaryMessage, pcm); err != nil {
		return fmt.Errorf("funasr audio: %w: %v", speech.ErrEngineUnavailable, err)
	}
	return nil
}

func (s *stream) Finish(ctx context.Context) (speech.Result, error) {
	t0 := time.Now()
	defer s.Close()
	s.mu.Lock()
	s.ended = true
	s.mu.Unlock()
	s.wmu.Lock()
	_ = s.conn.SetWriteDeadline(time.Now().Add(2 * time.Second))
	err := s.conn.WriteMessage(websocket.TextMessage, []byte(`{"is_speaking":false}`))
	s.wmu.Unlock()
	if err != nil {
		return speech.Result{}, fmt.Errorf("funasr end: %w: %v", speech.ErrEngineUnavailable, err)
	}
	timer := time.NewTimer(s.e.cfg.FinalWait)
	defer timer.Stop()
	timedOut := false
	select {
	case <-s.final:
	case <-timer.C:
		timedOut = true
	case <-ctx.Done():
		return speech.Result{}, fmt.Errorf("funasr: %w", speech.ErrEngineTimeout)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.gotFinal && s.err != nil {
		return speech.Result{}, fmt.Errorf("funasr result: %w: %v", speech.ErrEngineUnavailable, s.err)
	}
	if timedOut && len(s.offline) == 0 && s.online == "" {
		return speech.Result{}, fmt.Errorf("funasr result: %w: no result %v after end of speech", speech.ErrEngineTimeout, s.e.cfg.FinalWait)
	}
	text := strings.Join(s.offline, "")
	if text == "" {
		text = s.online // online mode, or the corrected pass never came
	}
	res := speech.Result{Text: text, Final: true, Engine: s.e.cfg.Name, Latency: time.Since(t0)}
	if text != "" {
		// FunASR reports no confidence; a result is as sure as the server gets.
		res.Confidence = 1
	}
	if n := len(s.spans); n > 0 {
		res.StartMs, res.EndMs = s.spans[0][0], s.spans[n-1][1]
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
	s.wmu.Lock()
	_ = s.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	s.wmu.Unlock()
	err := s.conn.Close()
	<-s.readDone
	return err
}

func clip(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "…"
	}
	return string(b)
}
