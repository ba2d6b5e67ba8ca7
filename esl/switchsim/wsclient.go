package switchsim

import (
	"bufio"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"
)

// wsConn is a minimal RFC 6455 client, written here rather than taken from
// a library so the handshake has mod_audio_stream's (libwsc's) quirks
// byte for byte (audio-stream.md §2): "Name:value" with no space after the
// colon, lower-case "upgrade" in Connection, Origin http://host:port, no
// User-Agent, no Sec-WebSocket-Protocol and no extension offer. Frames are
// FIN=1 and masked, never fragmented.
type wsConn struct {
	nc  net.Conn
	br  *bufio.Reader
	wmu sync.Mutex
}

// wsDial connects with a 1 s connect-and-handshake timeout, like libwsc.
func wsDial(raw string, extra []header) (*wsConn, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") {
		return nil, errors.New("WebSocket upgrade failed")
	}
	if u.Scheme == "wss" {
		return nil, errors.New("TLS not supported by switchsim")
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "80")
	}
	nc, err := net.DialTimeout("tcp", host, time.Second)
	if err != nil {
		return nil, fmt.Errorf("Connection refused (system error 111)")
	}
	_ = nc.SetDeadline(time.Now().Add(time.Second))
	keyRaw := make([]byte, 16)
	_, _ = rand.Read(keyRaw)
	key := base64.StdEncoding.EncodeToString(keyRaw)
	path := u.RequestURI()
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost:%s\r\nUpgrade:websocket\r\nConnection:upgrade\r\nSec-WebSocket-Key:%s\r\nSec-WebSocket-Version:13\r\nOrigin:http://%s\r\n",
		path, u.Host, key, u.Host)
	for _, h := range extra {
		fmt.Fprintf(&b, "%s:%s\r\n", h.k, h.v)
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(nc, b.String()); err != nil {
		nc.Close()
		return nil, errors.New("WebSocket upgrade failed")
	}
	br := bufio.NewReader(nc)
	status, err := br.ReadString('\n')
	if err != nil {
		nc.Close()
		return nil, errors.New("Timeout")
	}
	if !strings.Contains(status, " 101") {
		nc.Close()
		return nil, errors.New("WebSocket upgrade failed")
	}
	accept := ""
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			nc.Close()
			return nil, errors.New("Timeout")
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			break
		}
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(strings.TrimSpace(k), "Sec-WebSocket-Accept") {
			accept = strings.TrimSpace(v)
		}
	}
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	if accept != base64.StdEncoding.EncodeToString(sum[:]) {
		nc.Close()
		return nil, errors.New("WebSocket upgrade failed")
	}
	_ = nc.SetDeadline(time.Time{})
	return &wsConn{nc: nc, br: br}, nil
}

const (
	wsText   = 1
	wsBinary = 2
	wsClose  = 8
	wsPing   = 9
	wsPong   = 10
)

func (w *wsConn) write(op byte, payload []byte) error {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	hdr := []byte{0x80 | op}
	n := len(payload)
	switch {
	case n < 126:
		hdr = append(hdr, 0x80|byte(n))
	case n < 65536:
		hdr = append(hdr, 0x80|126, byte(n>>8), byte(n))
	default:
		hdr = append(hdr, 0x80|127)
		hdr = binary.BigEndian.AppendUint64(hdr, uint64(n))
	}
	var mask [4]byte
	_, _ = rand.Read(mask[:])
	hdr = append(hdr, mask[:]...)
	buf := make([]byte, len(hdr)+n)
	copy(buf, hdr)
	for i := 0; i < n; i++ {
		buf[len(hdr)+i] = payload[i] ^ mask[i&3]
	}
	_ = w.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, err := w.nc.Write(buf)
	return err
}

func (w *wsConn) closeWith(code int, reason string) error {
	p := binary.BigEndian.AppendUint16(nil, uint16(code))
	return w.write(wsClose, append(p, reason...))
}

// read returns the next frame from the server (unmasked, unfragmented
// frames are what servers send; fragments are joined).
func (w *wsConn) read() (byte, []byte, error) {
	var op byte
	var msg []byte
	for {
		var h [2]byte
		if _, err := io.ReadFull(w.br, h[:]); err != nil {
			return 0, nil, err
		}
		fin := h[0]&0x80 != 0
		if o := h[0] & 0x0f; o != 0 {
			op = o
		}
		n := uint64(h[1] & 0x7f)
		switch n {
		case 126:
			var e [2]byte
			if _, err := io.ReadFull(w.br, e[:]); err != nil {
				return 0, nil, err
			}
			n = uint64(binary.BigEndian.Uint16(e[:]))
		case 127:
			var e [8]byte
			if _, err := io.ReadFull(w.br, e[:]); err != nil {
				return 0, nil, err
			}
			n = binary.BigEndian.Uint64(e[:])
		}
		if n > 16<<20 {
			return 0, nil, errors.New("frame too large")
		}
		var mask [4]byte
		masked := h[1]&0x80 != 0
		if masked {
			if _, err := io.ReadFull(w.br, mask[:]); err != nil {
				return 0, nil, err
			}
		}
		p := make([]byte, n)
		if _, err := io.ReadFull(w.br, p); err != nil {
			return 0, nil, err
		}
		if masked {
			for i := range p {
				p[i] ^= mask[i&3]
			}
		}
		msg = append(msg, p...)
		if fin {
			return op, msg, nil
		}
	}
}
