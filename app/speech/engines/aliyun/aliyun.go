// Package aliyun speaks Alibaba Cloud NLS real-time transcription over
// WebSocket (SpeechTranscriber, documented at help.aliyun.com/zh/isi): token
// in the URL (?token=) or X-NLS-Token header; a StartTranscription command
// {header{message_id, task_id, namespace, name, appkey}, payload{format,
// sample_rate, enable_intermediate_result, …}}; TranscriptionStarted; binary
// PCM; events SentenceBegin, TranscriptionResultChanged, SentenceEnd
// (result, confidence, begin_time, time, words); StopTranscription →
// TranscriptionCompleted; TaskFailed with header.status / status_text on
// errors. Tokens come from CreateToken (POP RPC, HMAC-SHA1) or are given.
// Tested against a local server implementing the document; not run against
// the live service.
package aliyun

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/waihu/waihu/app/speech"
)

// Config holds the project and endpoint.
type Config struct {
	Name      string // registry name, default "aliyun"
	AppKey    string
	Tokens    TokenSource
	URL       string        // default wss://nls-gateway-cn-shanghai.aliyuncs.com/ws/v1
	FinalWait time.Duration // default 3 s
	// MaxSentenceSilence is the server's own sentence break (200–2000 ms);
	// waihu endpoints itself, so the default 800 ms only splits long turns.
	MaxSentenceSilence int
}

// Engine is an NLS real-time recognizer.
type Engine struct{ cfg Config }

// New validates the config.
func New(cfg Config) (*Engine, error) {
	if cfg.AppKey == "" || cfg.Tokens == nil {
		return nil, fmt.Errorf("aliyun nls: appkey and a token source are required")
	}
	if cfg.Name == "" {
		cfg.Name = "aliyun"
	}
	if cfg.URL == "" {
		cfg.URL = "wss://nls-gateway-cn-shanghai.aliyuncs.com/ws/v1"
	}
	if cfg.FinalWait <= 0 {
		cfg.FinalWait = 3 * time.Second
	}
	if cfg.MaxSentenceSilence == 0 {
		cfg.MaxSentenceSilence = 800
	}
	return &Engine{cfg: cfg}, nil
}

// Info describes the engine.
func (e *Engine) Info() speech.EngineInfo {
	return speech.EngineInfo{Name: e.cfg.Name, Kind: speech.KindASR, Languages: []string{"zh-CN"}, Streaming: true}
}

func id32() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Header is the common message header.
type Header struct {
	MessageID  string `json:"message_id"`
	TaskID     string `json:"task_id"`
	Namespace  string `json:"namespace"`
	Name       string `json:"name"`
	AppKey     string `json:"appkey,omitempty"`
	Status     int    `json:"status,omitempty"`
	StatusText string `json:"status_text,omitempty"`
	StatusMsg  string `json:"status_message,omitempty"`
}

// Event is a server event.
type Event struct {
	Header  Header `json:"header"`
	Payload struct {
		Index      int     `json:"index"`
		Time       int     `json:"time"`
		BeginTime  int     `json:"begin_time"`
		Result     string  `json:"result"`
		Confidence float64 `json:"confidence"`
		Words      []struct {
			Text      string `json:"text"`
			StartTime int    `json:"startTime"`
			EndTime   int    `json:"endTime"`
		} `json:"words"`
	} `json:"payload"`
}

// Start opens a transcription task for one turn.
func (e *Engine) Start(ctx context.Context, opts speech.RecognizeOptions) (speech.RecognitionStream, error) {
	tok, err := e.cfg.Tokens.Token(ctx)
	if err != nil {
		return nil, fmt.Errorf("aliyun nls token: %w: %v", speech.ErrEngineUnavailable, err)
	}
	u := e.cfg.URL
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	u += sep + "token=" + url.QueryEscape(tok)
	h := http.Header{"X-NLS-Token": {tok}}
	dctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	conn, resp, err := websocket.DefaultDialer.DialContext(dctx, u, h)
	if err != nil {
		if resp != nil {
			err = fmt.Errorf("%v (HTTP %d)", err, resp.StatusCode)
		}
		return nil, fmt.Errorf("aliyun nls connect: %w: %v", speech.ErrEngineUnavailable, err)
	}
	task := id32()
	start := map[string]any{
		"header": Header{MessageID: id32(), TaskID: task, Namespace: "SpeechTranscriber", Name: "StartTranscription", AppKey: e.cfg.AppKey},
		"payload": map[string]any{
			"format": "pcm", "sample_rate": opts.Rate(), "enable_intermediate_result": true,
			"enable_punctuation_prediction": true, "enable_inverse_text_normalization": true,
			"enable_words": true, "max_sentence_silence": e.cfg.MaxSentenceSilence,
		},
	}
	_ = conn.SetWriteDeadline(time.Now().Add(3 * time.Second))
	if err := conn.WriteJSON(start); err != nil {
		conn.Close()
		return nil, fmt.Errorf("aliyun nls start: %w: %v", speech.ErrEngineUnavailable, err)
	}
	// Audio may only flow after TranscriptionStarted.
	_ = conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	var ev Event
	if err := conn.ReadJSON(&ev); err != nil {
		conn.Close()
		return nil, fmt.Errorf("aliyun nls start: %w: %v", speech.ErrEngineUnavailable, err)
	}
	if ev.Header.Name != "TranscriptionStarted" {
		conn.Close()
		return nil, fmt.Errorf("aliyun nls start: %w: %s %d %s", speech.ErrEngineUnavailable, ev.Header.Name, ev.Header.Status, ev.Header.StatusText+ev.Header.StatusMsg)
	}
	_ = conn.SetReadDeadline(time.Time{})
	s := &stream{e: e, conn: conn, task: task, partials: make(chan speech.Result, 16), done: make(chan struct{}), sentences: map[int]string{}}
	go s.read()
	return s, nil
}

// Recognize streams a recording (utterance mode).
func (e *Engine) Recognize(ctx context.Context, a speech.Audio, opts speech.RecognizeOptions) (speech.Result, error) {
	return speech.FileFromStream(e).Recognize(ctx, a, opts)
}

type stream struct {
	e         *Engine
	conn      *websocket.Conn
	task      string
	wmu       sync.Mutex
	mu        sync.Mutex
	sentences map[int]string
	res       speech.Result
	confSum   float64
	confN     int
	completed bool
	err       error
	partials  chan speech.Result
	done      chan struct{}
	closed    bool
}

func (s *stream) read() {
	defer close(s.done)
	defer close(s.partials)
	for {
		var ev Event
		if err := s.conn.ReadJSON(&ev); err != nil {
			s.mu.Lock()
			if !s.completed {
				s.err = err
			}
			s.mu.Unlock()
			return
		}
		p := ev.Payload
		s.mu.Lock()
		var partial string
		switch ev.Header.Name {
		case "TranscriptionResultChanged":
			s.sentences[p.Index] = p.Result
			partial = s.joined()
		case "SentenceEnd":
			s.sentences[p.Index] = p.Result
			if s.res.StartMs == 0 || p.BeginTime < s.res.StartMs {
				s.res.StartMs = p.BeginTime
			}
			s.res.EndMs = max(s.res.EndMs, p.Time)
			s.confSum += p.Confidence
			s.confN++
			for _, w := range p.Words {
				s.res.Words = append(s.res.Words, speech.Word{Text: w.Text, StartMs: w.StartTime, EndMs: w.EndTime, Confidence: p.Confidence})
			}
		case "TranscriptionCompleted":
			s.completed = true
		case "TaskFailed":
			s.err = fmt.Errorf("task failed: %d %s", ev.Header.Status, ev.Header.StatusText+ev.Header.StatusMsg)
		}
		stop := s.completed || s.err != nil
		s.mu.Unlock()
		if partial != "" {
			select {
			case s.partials <- speech.Result{Text: partial, Engine: s.e.cfg.Name}:
			default:
			}
		}
		if stop {
			return
		}
	}
}

func (s *stream) joined() string {
	var b strings.Builder
	for i := 0; len(s.sentences) > 0 && i <= 1000; i++ {
		if t, ok := s.sentences[i]; ok {
			b.WriteString(t)
		}
	}
	return b.String()
}

func (s *stream) Partials() <-chan speech.Result { return s.partials }

func (s *stream) Write(pcm []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_ = s.conn.SetWriteDeadline(time.Now().Add(2 * time.Second))
	if err := s.conn.WriteMessage(websocket.BinaryMessage, pcm); err != nil {
		return fmt.Errorf("aliyun nls audio: %w: %v", speech.ErrEngineUnavailable, err)
	}
	return nil
}

func (s *stream) Finish(ctx context.Context) (speech.Result, error) {
	t0 := time.Now()
	defer s.Close()
	stop := map[string]any{"header": Header{MessageID: id32(), TaskID: s.task, Namespace: "SpeechTranscriber", Name: "StopTranscription", AppKey: s.e.cfg.AppKey}}
	s.wmu.Lock()
	_ = s.conn.SetWriteDeadline(time.Now().Add(2 * time.Second))
	err := s.conn.WriteJSON(stop)
	s.wmu.Unlock()
	if err != nil {
		return speech.Result{}, fmt.Errorf("aliyun nls stop: %w: %v", speech.ErrEngineUnavailable, err)
	}
	t := time.NewTimer(s.e.cfg.FinalWait)
	defer t.Stop()
	select {
	case <-s.done:
	case <-t.C:
		return speech.Result{}, fmt.Errorf("aliyun nls: %w: no TranscriptionCompleted %v after stop", speech.ErrEngineTimeout, s.e.cfg.FinalWait)
	case <-ctx.Done():
		return speech.Result{}, fmt.Errorf("aliyun nls: %w", speech.ErrEngineTimeout)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.completed {
		return speech.Result{}, fmt.Errorf("aliyun nls result: %w: %v", speech.ErrEngineUnavailable, s.err)
	}
	res := s.res
	res.Text, res.Final, res.Engine, res.Latency = s.joined(), true, s.e.cfg.Name, time.Since(t0)
	if s.confN > 0 {
		res.Confidence = s.confSum / float64(s.confN)
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
