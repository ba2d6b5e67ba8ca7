package stream

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// Server accepts mod_audio_stream connections at <mount>/<uuid>.
type Server struct {
	reg      *Registry
	upgrader websocket.Upgrader
	Log      *slog.Logger
	// IdleTimeout closes a stream that sends nothing (pause included) for
	// this long. Default 5 minutes.
	IdleTimeout time.Duration
}

// NewServer serves streams for calls in reg.
func NewServer(reg *Registry) *Server {
	return &Server{
		reg: reg,
		upgrader: websocket.Upgrader{
			ReadBufferSize: 8192, WriteBufferSize: 1024,
			// The module sends Origin http://<ws host:port>; behind a proxy it
			// will not match Host. Each stream is authenticated by its token.
			CheckOrigin: func(*http.Request) bool { return true },
			// libwsc may offer permessage-deflate; we decline (not negotiated).
			EnableCompression: false,
		},
		Log:         slog.Default(),
		IdleTimeout: 5 * time.Minute,
	}
}

func tokenOf(r *http.Request) string {
	if t := r.URL.Query().Get("token"); t != "" {
		return t
	}
	if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		return strings.TrimSpace(a[7:])
	}
	return r.Header.Get("X-Stream-Token")
}

// ServeHTTP authenticates before the upgrade (a refusal becomes the module's
// `::error` "WebSocket upgrade failed" event, which call control sees) and
// then reads the stream until FreeSWITCH closes it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	uuid := path.Base(r.URL.Path)
	c, err := s.reg.authorize(uuid, tokenOf(r))
	if err != nil {
		s.Log.Warn("audio stream refused", "uuid", uuid, "err", err)
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	// mod_audio_stream refuses a second start while its media bug is
	// attached, so a new authenticated stream for a connected call means
	// FreeSWITCH gave the old one up: after a network loss the old TCP
	// connection may stay half-open here for minutes. The old one is closed
	// and the restart taken, rather than refused.
	c.mu.Lock()
	old := c.live
	c.mu.Unlock()
	if old != nil {
		old.replace()
		select {
		case <-old.done:
		case <-time.After(2 * time.Second):
		}
	}
	me := &liveConn{done: make(chan struct{})}
	c.mu.Lock()
	if c.live != nil && c.live != old {
		c.mu.Unlock()
		http.Error(w, "stream already connected", http.StatusConflict)
		return
	}
	c.live = me
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		if c.live == me {
			c.live = nil
		}
		c.mu.Unlock()
		close(me.done)
	}()
	rate := c.opts.SampleRate
	if q, err := strconv.Atoi(r.URL.Query().Get("rate")); err == nil && (q == 8000 || q == 16000) {
		rate = q
	}
	if rate == 0 {
		rate = 8000
	}
	stereo := c.opts.Stereo || r.URL.Query().Get("mix") == "stereo"
	conn, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		s.Log.Warn("audio stream upgrade", "uuid", uuid, "err", err)
		return
	}
	c.mu.Lock()
	c.connects++
	c.mu.Unlock()
	me.attach(conn)
	defer conn.Close()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	p := newPipeline(ctx, c, rate)
	c.emit(Event{Kind: Connected}, false)
	reason := s.read(conn, c, p, stereo)
	p.close()
	c.emit(Event{Kind: StreamClosed, AtMs: p.posMs, Reason: reason}, true)
}

func (s *Server) read(conn *websocket.Conn, c *Call, p *pipeline, stereo bool) string {
	first := true
	for {
		_ = conn.SetReadDeadline(time.Now().Add(s.IdleTimeout))
		mt, data, err := conn.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return "close " + strconv.Itoa(ce.Code) + " " + ce.Text
			}
			return "read: " + err.Error()
		}
		switch mt {
		case websocket.TextMessage:
			if first {
				c.mu.Lock()
				c.metadata = string(data)
				c.mu.Unlock()
			}
		case websocket.BinaryMessage:
			if len(data)%2 != 0 {
				data = data[:len(data)-1]
			}
			if stereo {
				data = left(data)
			}
			p.frame(data)
		}
		first = false
	}
}

// left keeps the L (read: the callee) channel of interleaved stereo.
func left(pcm []byte) []byte {
	out := make([]byte, 0, len(pcm)/2)
	for i := 0; i+3 < len(pcm); i += 4 {
		out = append(out, pcm[i], pcm[i+1])
	}
	return out
}
