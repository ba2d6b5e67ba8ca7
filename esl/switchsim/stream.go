package switchsim

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// audioStreamState is one mod_audio_stream media bug on a channel.
type audioStreamState struct {
	url      string
	mix      string // mono | mixed | stereo
	rate     int    // 8000 | 16000
	meta     string
	bufferMs int
	ws       *wsConn
	mu       sync.Mutex
	paused   bool
	dead     bool // server closed: bug stays attached but silent (audio-stream.md §4)
	done     chan struct{}
	doneOnce sync.Once
	plays    int
}

func (st *audioStreamState) finish() { st.doneOnce.Do(func() { close(st.done) }) }

// audioStream implements mod_audio_stream's API (audio-stream.md §1):
// "<uuid> start <ws-url> [mono|mixed|stereo] [8k|16k|8000|16000] [metadata…]",
// stop [text], pause, resume, send_text <text>. Start needs a pre-answered
// or answered channel and replies "+OK Success" before connecting.
func (c *call) audioStream(args []string, rest string) string {
	verb := strings.ToLower(args[1])
	c.mu.Lock()
	if c.streams == nil {
		c.streams = map[string]*audioStreamState{}
	}
	cur := c.streams["default"]
	live := !c.answeredAt.IsZero() || !c.mediaAt.IsZero()
	c.mu.Unlock()
	const failed = "-ERR Operation Failed\n"
	switch verb {
	case "start":
		if len(args) < 3 || cur != nil || !live {
			return failed
		}
		st := &audioStreamState{url: args[2], mix: "mono", rate: 8000, done: make(chan struct{})}
		if !strings.HasPrefix(st.url, "ws://") && !strings.HasPrefix(st.url, "wss://") {
			return failed
		}
		if len(args) > 3 {
			st.mix = strings.ToLower(args[3])
			if st.mix != "mono" && st.mix != "mixed" && st.mix != "stereo" {
				return "-ERR no reply\n"
			}
		}
		if len(args) > 4 {
			r := strings.ToLower(args[4])
			n, err := strconv.Atoi(strings.TrimSuffix(r, "k"))
			if strings.HasSuffix(r, "k") {
				n *= 1000
			}
			if err != nil || n <= 0 || n%8000 != 0 || n > 16000 {
				return failed
			}
			st.rate = n
		}
		// metadata is everything after the 5th token, spaces included
		st.meta = afterFields(rest, 5)
		if n, err := strconv.Atoi(c.getVar("STREAM_BUFFER_SIZE")); err == nil && n >= 20 && n%20 == 0 {
			st.bufferMs = n
		} else {
			st.bufferMs = 20
		}
		c.mu.Lock()
		c.streams["default"] = st
		c.mu.Unlock()
		go c.runStream(st)
		return "+OK Success\n"
	case "stop":
		if cur == nil {
			return failed
		}
		c.dropStream(cur)
		cur.mu.Lock()
		ws, dead := cur.ws, cur.dead
		cur.mu.Unlock()
		if ws != nil && !dead {
			// stop [text]: the text frame, then CLOSE 1000 "Normal closure"
			if text := afterFields(rest, 2); text != "" {
				_ = ws.write(wsText, []byte(text))
			}
			_ = ws.closeWith(1000, "Normal closure")
			time.AfterFunc(time.Second, func() { ws.nc.Close() })
		} else if ws != nil {
			ws.nc.Close()
		}
		cur.finish()
		return "+OK Success\n"
	case "pause", "resume":
		if cur == nil {
			return failed
		}
		cur.mu.Lock()
		cur.paused = verb == "pause"
		cur.mu.Unlock()
		return "+OK Success\n"
	case "send_text":
		text := afterFields(rest, 2)
		if text == "" {
			return "-ERR no reply\n"
		}
		if cur == nil {
			return failed
		}
		cur.mu.Lock()
		ws, dead := cur.ws, cur.dead
		cur.mu.Unlock()
		if ws != nil && !dead {
			_ = ws.write(wsText, []byte(text))
		}
		return "+OK Success\n"
	}
	return failed
}

// afterFields returns s after its first n space-separated fields.
func afterFields(s string, n int) string {
	s = strings.TrimLeft(s, " ")
	for i := 0; i < n; i++ {
		j := strings.IndexByte(s, ' ')
		if j < 0 {
			return ""
		}
		s = strings.TrimLeft(s[j+1:], " ")
	}
	return s
}

func (c *call) dropStream(st *audioStreamState) {
	c.mu.Lock()
	if c.streams["default"] == st {
		delete(c.streams, "default")
	}
	c.mu.Unlock()
}

// fireStream fires a mod_audio_stream::<sub> CUSTOM event with a JSON body
// (audio-stream.md §3: Event-Calling-File mod_audio_stream.c,
// Event-Calling-Function responseHandler, full channel data).
func (c *call) fireStream(sub, body string) {
	e := c.channelEvent("CUSTOM", "mod_audio_stream.c", "responseHandler", 100, "Event-Subclass", "mod_audio_stream::"+sub)
	e.body = body
	c.sim.fire(e)
}

func streamError(code int, msg string) string {
	b, _ := json.Marshal(map[string]any{"status": "error", "message": map[string]any{"code": code, "error": msg}})
	return string(b)
}

// runStream connects, sends the metadata text frame, then one binary
// frame of raw L16LE PCM per 20 ms (or per STREAM_BUFFER_SIZE) until stop,
// hangup or the server goes away.
func (c *call) runStream(st *audioStreamState) {
	fault, dropAfter := c.streamFault()
	if fault == StreamRefuse {
		// As with nothing listening: the media bug is removed, so a new
		// start works directly (audio-stream.md §4).
		c.note(JournalStreamFault, fault)
		c.dropStream(st)
		c.fireStream("error", streamError(6, "Connection refused (system error 111)"))
		return
	}
	var extra []header
	if raw := c.getVar("STREAM_EXTRA_HEADERS"); raw != "" {
		var m map[string]string
		if json.Unmarshal([]byte(raw), &m) == nil {
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				extra = append(extra, header{k, m[k]})
			}
		}
	}
	ws, err := wsDial(st.url, extra)
	if err != nil {
		c.dropStream(st)
		code := 6
		if err.Error() == "Timeout" {
			code = 10
		}
		c.fireStream("error", streamError(code, err.Error()))
		return
	}
	st.mu.Lock()
	st.ws = ws
	st.mu.Unlock()
	if st.meta != "" {
		_ = ws.write(wsText, []byte(st.meta))
	}
	c.fireStream("connect", `{"status":"connected"}`)
	if fault == StreamDrop {
		time.AfterFunc(c.sim.scale(dropAfter), func() {
			select {
			case <-st.done:
				return
			default:
			}
			// The network goes: no CLOSE; the bug is removed (§4).
			c.note(JournalStreamFault, fault)
			c.dropStream(st)
			st.finish()
			ws.nc.Close()
			c.fireStream("error", streamError(1, "Connection closed without WebSocket CLOSE (abnormal EOF)"))
		})
	}
	go c.streamReader(st)
	if hb, err := strconv.Atoi(c.getVar("STREAM_HEART_BEAT")); err == nil && hb > 0 {
		go func() {
			t := time.NewTicker(time.Duration(hb) * time.Second)
			defer t.Stop()
			for {
				select {
				case <-st.done:
					return
				case <-t.C:
					_ = ws.write(wsPing, []byte("ping"))
				}
			}
		}()
	}
	period := c.sim.scale(st.bufferMs)
	if period < time.Millisecond {
		period = time.Millisecond
	}
	tick := time.NewTicker(period)
	defer tick.Stop()
	last := time.Now()
	for {
		select {
		case <-st.done:
			return
		case <-c.hupCh:
			// hangup: CLOSE 1000 "Normal closure", no final text, no event.
			c.dropStream(st)
			_ = ws.closeWith(1000, "Normal closure")
			st.finish()
			time.AfterFunc(time.Second, func() { ws.nc.Close() })
			return
		case now := <-tick.C:
			st.mu.Lock()
			skip := st.paused || st.dead
			st.mu.Unlock()
			from := last
			last = now
			if skip {
				continue
			}
			if err := ws.write(wsBinary, c.pcmFrame(st, from)); err != nil {
				return
			}
		}
	}
}

// streamReader handles frames from the server: text → ::json (or ::play
// for a valid streamAudio message), PING → PONG, CLOSE → echo and
// ::disconnect, EOF without CLOSE → ::error code 1.
func (c *call) streamReader(st *audioStreamState) {
	ws := st.ws
	for {
		op, p, err := ws.read()
		if err != nil {
			select {
			case <-st.done:
				return
			default:
			}
			st.mu.Lock()
			dead := st.dead
			st.mu.Unlock()
			if !dead {
				c.dropStream(st)
				st.finish()
				c.fireStream("error", streamError(1, "Connection closed without WebSocket CLOSE (abnormal EOF)"))
			}
			return
		}
		switch op {
		case wsText:
			c.streamText(st, string(p))
		case wsPing:
			_ = ws.write(wsPong, p)
		case wsClose:
			code, reason := 1005, ""
			if len(p) >= 2 {
				code, reason = int(binary.BigEndian.Uint16(p)), string(p[2:])
			}
			select {
			case <-st.done:
				return // our own close being echoed
			default:
			}
			_ = ws.write(wsClose, p)
			st.mu.Lock()
			st.dead = true
			st.mu.Unlock()
			b, _ := json.Marshal(map[string]any{"status": "disconnected", "message": map[string]any{"code": code, "reason": reason}})
			c.fireStream("disconnect", string(b))
			return
		}
	}
}

var playExt = map[string]string{"wav": "wav", "mp3": "mp3", "ogg": "ogg", "pcmu": "pcmu", "pcma": "pcma"}

func (c *call) streamText(st *audioStreamState, text string) {
	var msg struct {
		Type string                 `json:"type"`
		Data map[string]interface{} `json:"data"`
	}
	if json.Unmarshal([]byte(text), &msg) != nil || msg.Type != "streamAudio" || msg.Data == nil {
		c.fireStream("json", text)
		return
	}
	kind, _ := msg.Data["audioDataType"].(string)
	b64, _ := msg.Data["audioData"].(string)
	ext := playExt[kind]
	if kind == "raw" {
		rate, _ := msg.Data["sampleRate"].(float64)
		switch int(rate) {
		case 8000, 16000, 24000, 32000, 48000, 64000:
			ext = "r" + strconv.Itoa(int(rate)/1000)
		}
	}
	audio, err := base64.StdEncoding.DecodeString(b64)
	if ext == "" || err != nil {
		c.fireStream("json", text)
		return
	}
	st.mu.Lock()
	n := st.plays
	st.plays++
	st.mu.Unlock()
	file := fmt.Sprintf("%s/%s_%d.tmp.%s", os.TempDir(), c.uuid, n, ext)
	_ = os.WriteFile(file, audio, 0o600)
	delete(msg.Data, "audioData")
	msg.Data["file"] = file
	b, _ := json.Marshal(msg.Data)
	c.fireStream("play", string(b))
}

// pcmFrame renders the audio since from: L16LE at the stream's rate; the
// read leg carries the callee (its clip, or a speech-like two-tone signal
// while it talks, silence otherwise), the write leg the robot (1000 Hz
// while a prompt plays, as the trace's leg check used). mono = read,
// mixed = read+write, stereo = L read, R write.
func (c *call) pcmFrame(st *audioStreamState, from time.Time) []byte {
	samples := st.rate * st.bufferMs / 1000
	ch := 1
	if st.mix == "stereo" {
		ch = 2
	}
	out := make([]byte, 0, samples*2*ch)
	c.mu.Lock()
	talkFrom, talkUntil, pcm, playing := c.talkFrom, c.talkUntil, c.talkPCM, c.playing
	c.mu.Unlock()
	span := c.sim.scale(st.bufferMs)
	for i := 0; i < samples; i++ {
		at := from.Add(time.Duration(int64(span) * int64(i) / int64(samples)))
		simT := float64(i) / float64(st.rate)
		var read, write float64
		if !at.Before(talkFrom) && at.Before(talkUntil) {
			elapsed := float64(at.Sub(talkFrom)) / float64(time.Second) / c.sim.opts.TimeScale
			if pcm != nil {
				if k := int(elapsed * 8000); k < len(pcm) {
					read = float64(pcm[k])
				}
			} else {
				env := 0.6 + 0.4*math.Sin(2*math.Pi*4*elapsed)
				read = env * (3000*math.Sin(2*math.Pi*300*(elapsed+simT)) + 1500*math.Sin(2*math.Pi*700*(elapsed+simT)))
			}
		}
		if playing {
			write = 4000 * math.Sin(2*math.Pi*1000*(float64(at.UnixNano())/1e9/c.sim.opts.TimeScale))
		}
		switch st.mix {
		case "stereo":
			out = binary.LittleEndian.AppendUint16(out, uint16(clamp16(read)))
			out = binary.LittleEndian.AppendUint16(out, uint16(clamp16(write)))
		case "mixed":
			out = binary.LittleEndian.AppendUint16(out, uint16(clamp16(read+write)))
		default:
			out = binary.LittleEndian.AppendUint16(out, uint16(clamp16(read)))
		}
	}
	return out
}

func clamp16(v float64) int16 {
	switch {
	case v > 32767:
		return 32767
	case v < -32768:
		return -32768
	}
	return int16(v)
}

// readPCM8k loads a 16-bit PCM mono WAV at 8 or 16 kHz as 8 kHz samples;
// anything else yields nil (the synthetic voice is used).
func readPCM8k(path string) []int16 {
	if path == "" {
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil || len(b) < 44 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil
	}
	var rate, chans, bits int
	for off := 12; off+8 <= len(b); {
		id := string(b[off : off+4])
		size := int(binary.LittleEndian.Uint32(b[off+4:]))
		body := off + 8
		if size < 0 || body+size > len(b) {
			size = len(b) - body
		}
		switch id {
		case "fmt ":
			if size < 16 || binary.LittleEndian.Uint16(b[body:]) != 1 {
				return nil
			}
			chans = int(binary.LittleEndian.Uint16(b[body+2:]))
			rate = int(binary.LittleEndian.Uint32(b[body+4:]))
			bits = int(binary.LittleEndian.Uint16(b[body+14:]))
		case "data":
			if chans != 1 || bits != 16 || (rate != 8000 && rate != 16000) {
				return nil
			}
			step := 2 * (rate / 8000)
			out := make([]int16, 0, size/step)
			for i := body; i+1 < body+size; i += step {
				out = append(out, int16(binary.LittleEndian.Uint16(b[i:])))
			}
			return out
		}
		off = body + size + size%2
	}
	return nil
}
