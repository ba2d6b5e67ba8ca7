package switchsim

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Journal entry kinds (CallInfo.Journal).
const (
	JournalSpeechStart  = "speech_start"  // the callee starts talking (Arg: the text)
	JournalExecute      = "execute"       // an application starts (Arg: "name arg")
	JournalPlaybackStop = "playback_stop" // a playback ends (Arg: "done|break <ms played>")
	JournalBreak        = "uuid_break"    // the api arrived (Arg: "all" or "")
	JournalRecordStop   = "record_stop"   // a record ends (Arg: "<ms> <why>")
	JournalStreamFault  = "stream_fault"  // a persona's audio_stream fault struck (Arg: refuse|drop)
)

// JournalEntry is one happening on a simulated call.
type JournalEntry struct {
	At   time.Time `json:"at"`
	What string    `json:"what"`
	Arg  string    `json:"arg,omitempty"`
}

func (c *call) note(what, arg string) {
	c.mu.Lock()
	c.journal = append(c.journal, JournalEntry{At: time.Now(), What: what, Arg: arg})
	c.mu.Unlock()
}

// record is mod_dptools record "<path> [[+]time_limit_secs] [silence_thresh]
// [silence_hits]" running switch_ivr_record_file_event
// (src/mod/applications/mod_dptools/mod_dptools.c record_function,
// src/switch_ivr_play_say.c): silence_hits_exhausted=false, RECORD_START
// with Record-File-Path; then frame by frame until the time limit, a
// break, hangup, a DTMF digit in playback_terminators (default "*";
// "any", "none"; the digit goes to playback_terminator_used) or, when
// silence_thresh is set, silence_hits seconds (3 when 0) of consecutive
// frames under the threshold — counted from the start, so a callee who
// never speaks ends it too (outbound-session.jsonl: 2.0 s with "10 200 2")
// and silence_hits_exhausted=true. Then record_seconds, record_ms,
// record_samples and RECORD_STOP. The file is what the channel read: the
// callee's clip (or a speech-like signal) while it talked, silence
// otherwise, 8 kHz 16-bit mono WAV. (On FreeSWITCH a file that cannot be
// opened fails the application and mod_dptools hangs the channel up with
// DESTINATION_OUT_OF_ORDER; the simulator records into directories that
// exist here and otherwise only plays the timing.)
func (c *call) record(a *appReq) string {
	f := strings.Fields(a.arg)
	if len(f) == 0 {
		return "_none_"
	}
	path := f[0]
	limit, thresh, hits := 0, 0, 0
	if len(f) > 1 {
		limit, _ = strconv.Atoi(strings.TrimPrefix(f[1], "+"))
	}
	if len(f) > 2 {
		thresh, _ = strconv.Atoi(f[2])
	}
	if len(f) > 3 {
		hits, _ = strconv.Atoi(f[3])
	}
	switch {
	case thresh <= 0:
		hits = 0 // no threshold, no silence detection
	case hits <= 0:
		hits = 3
	}
	c.setVar("playback_terminator_used", "")
	// The simulated switch has no disk of its own: a path whose directory
	// does not exist here records nothing but runs as on FreeSWITCH's disk.
	st, err := os.Stat(filepath.Dir(path))
	writable := !strings.Contains(path, "://") && err == nil && st.IsDir()
	c.setVar("silence_hits_exhausted", "false")
	c.fireChannel("RECORD_START", "switch_ivr_play_say.c", "switch_ivr_record_file_event", 771, "Record-File-Path", path)
	terms := c.getVar("playback_terminators")
	switch strings.ToLower(terms) {
	case "":
		terms = "*"
	case "any":
		terms = "1234567890*#"
	case "none":
		terms = ""
	}
	start := time.Now()
	end := time.Time{}
	if limit > 0 {
		end = start.Add(c.sim.scale(limit * 1000))
	}
	why := "break"
	for why == "break" {
		stop := end
		if hits > 0 {
			// Silence runs from the later of the start and the end of the
			// callee's last speech; speech still going pushes it back.
			c.mu.Lock()
			last := c.talkUntil
			c.mu.Unlock()
			if last.Before(start) {
				last = start
			}
			if q := last.Add(c.sim.scale(hits * 1000)); stop.IsZero() || q.Before(stop) {
				stop = q
			}
		}
		var tc <-chan time.Time
		if !stop.IsZero() {
			t := time.NewTimer(time.Until(stop))
			defer t.Stop()
			tc = t.C
		}
		select {
		case <-tc:
			switch {
			case !end.IsZero() && !time.Now().Before(end):
				why = "limit"
			default:
				c.mu.Lock()
				moved := c.talkUntil.After(stop.Add(-c.sim.scale(hits * 1000)))
				c.mu.Unlock()
				if !moved {
					why = "silence"
				}
			}
		case d := <-c.dtmfCh:
			if strings.Contains(terms, d) {
				c.setVar("playback_terminator_used", d)
				why = "terminator"
			}
		case <-a.brk:
			why = "broken"
		case <-c.hupCh:
			why = "hangup"
		}
	}
	got := time.Since(start)
	ms := int(float64(got.Milliseconds()) / c.sim.opts.TimeScale)
	if writable {
		writePCMWAV(path, c.readLeg(start, ms))
	}
	if why == "silence" {
		c.setVar("silence_hits_exhausted", "true")
	}
	c.setVar("record_seconds", strconv.Itoa(ms/1000))
	c.setVar("record_ms", strconv.Itoa(ms))
	c.setVar("record_samples", strconv.Itoa(ms*8))
	c.note(JournalRecordStop, strconv.Itoa(ms)+" "+why)
	c.fireChannel("RECORD_STOP", "switch_ivr_play_say.c", "switch_ivr_record_file_event", 1033, "Record-File-Path", path)
	return "_none_"
}

// readLeg renders ms simulated milliseconds of what the channel read from
// the callee since from, as 8 kHz L16LE: the current utterance's clip (or
// the speech-like two-tone signal of a clipless utterance) while it
// talked, silence otherwise.
func (c *call) readLeg(from time.Time, ms int) []byte {
	c.mu.Lock()
	talkFrom, talkUntil, pcm := c.talkFrom, c.talkUntil, c.talkPCM
	c.mu.Unlock()
	n := 8 * ms
	out := make([]byte, 0, 2*n)
	for i := 0; i < n; i++ {
		at := from.Add(c.sim.scale(1) * time.Duration(i) / 8)
		var v float64
		if !at.Before(talkFrom) && at.Before(talkUntil) {
			elapsed := float64(at.Sub(talkFrom)) / float64(time.Second) / c.sim.opts.TimeScale
			if pcm != nil {
				if k := int(elapsed * 8000); k < len(pcm) {
					v = float64(pcm[k])
				}
			} else {
				env := 0.6 + 0.4*math.Sin(2*math.Pi*4*elapsed)
				v = env * (3000*math.Sin(2*math.Pi*300*elapsed) + 1500*math.Sin(2*math.Pi*700*elapsed))
			}
		}
		out = binary.LittleEndian.AppendUint16(out, uint16(clamp16(v)))
	}
	return out
}

// writePCMWAV writes 8 kHz 16-bit mono PCM as a WAV file.
func writePCMWAV(path string, pcm []byte) {
	const rate = 8000
	hdr := make([]byte, 44)
	copy(hdr[0:], "RIFF")
	binary.LittleEndian.PutUint32(hdr[4:], uint32(36+len(pcm)))
	copy(hdr[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(hdr[16:], 16)
	binary.LittleEndian.PutUint16(hdr[20:], 1)
	binary.LittleEndian.PutUint16(hdr[22:], 1)
	binary.LittleEndian.PutUint32(hdr[24:], rate)
	binary.LittleEndian.PutUint32(hdr[28:], rate*2)
	binary.LittleEndian.PutUint16(hdr[32:], 2)
	binary.LittleEndian.PutUint16(hdr[34:], 16)
	copy(hdr[36:], "data")
	binary.LittleEndian.PutUint32(hdr[40:], uint32(len(pcm)))
	_ = os.WriteFile(path, append(hdr, pcm...), 0o644)
}

// streamFault reports the persona's fault for this uuid_audio_stream
// start ("" = none).
func (c *call) streamFault() (string, int) {
	f := c.persona.AudioStream
	c.mu.Lock()
	c.streamStart++
	n := c.streamStart
	c.mu.Unlock()
	if f == nil || (f.Times > 0 && n > f.Times) {
		return "", 0
	}
	return f.Fail, f.AfterMs
}
