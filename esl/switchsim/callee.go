package switchsim

import (
	"strconv"
	"time"
)

// SpeechSubclass is the CUSTOM event subclass of the simulator's
// recognizer side channel (see doc.go). It is simulator-only data.
const SpeechSubclass = "waihu::sim_speech"

// startCallee starts the persona's behaviour once the call is answered:
// the greeting, the hang-up timer; turns follow the robot's prompts.
func (c *call) startCallee() {
	p := c.persona
	c.mu.Lock()
	c.talkStarted = c.answeredAt
	c.mu.Unlock()
	if p.HangupAfterMs > 0 {
		go func() {
			if c.sleep(c.sim.scale(p.HangupAfterMs)) {
				c.hangup("NORMAL_CLEARING", hangupRemote)
			}
		}()
	}
	for i := range p.Timeline {
		tm := &p.Timeline[i]
		go func() {
			if c.sleep(c.sim.scale(tm.AtMs)) {
				c.doTurn(&tm.Turn)
			}
		}()
	}
	if g := p.Greeting; g != nil {
		go func() {
			if !c.sleep(c.sim.scale(300)) {
				return
			}
			c.speak(g.Text, g.Clip, g.DurationMs)
		}()
	}
}

// speak plays an utterance from the callee: it takes its duration, then
// reports it on the side channel.
func (c *call) speak(text, clip string, explicit int) bool {
	ms := utteranceMs(text, clip, explicit)
	began := time.Now()
	pcm := readPCM8k(clip)
	c.mu.Lock()
	c.talkFrom, c.talkUntil, c.talkPCM = began, began.Add(c.sim.scale(ms)), pcm
	c.mu.Unlock()
	c.note(JournalSpeechStart, text)
	if !c.sleep(c.sim.scale(ms)) {
		return false
	}
	c.saySpeech(text, clip, began, ms)
	return true
}

// speakingFor is how much longer the callee keeps talking.
func (c *call) speakingFor() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Until(c.talkUntil)
}

// saySpeech fires the side-channel event: CUSTOM waihu::sim_speech with
// the channel's data plus Speech-Text, Speech-Start-Ms, Speech-End-Ms
// (ms since answer, or since early media on an unanswered leg).
func (c *call) saySpeech(text, clip string, began time.Time, ms int) {
	if text == "" && clip == "" {
		return
	}
	c.mu.Lock()
	ref := c.answeredAt
	if ref.IsZero() {
		ref = c.mediaAt
	}
	c.speech = append(c.speech, text)
	c.mu.Unlock()
	// Start is measured (in simulated ms); end is start plus the simulated
	// length, so reported lengths stay exact at any TimeScale.
	start := int64(float64(began.Sub(ref).Microseconds()) / 1000 / c.sim.opts.TimeScale)
	extra := []string{"Event-Subclass", SpeechSubclass, "Speech-Text", text,
		"Speech-Start-Ms", strconv.FormatInt(start, 10), "Speech-End-Ms", strconv.FormatInt(start+int64(ms), 10)}
	if clip != "" {
		extra = append(extra, "Speech-Clip", clip)
	}
	c.fireChannel("CUSTOM", "switchsim", "callee_speech", 1, extra...)
}

// promptStarted: a robot prompt began. A pending reply waits for this
// prompt to end; a barge-in turn starts talking N ms into it.
func (c *call) promptStarted() {
	answered := c.isAnswered()
	c.turnMu.Lock()
	c.turnGen++
	c.bargedThis = false
	gen := c.turnGen
	if answered {
		c.prompts++
	}
	var t *Turn
	if c.turn < len(c.persona.Turns) && c.persona.Turns[c.turn].BargeInMs > 0 && answered &&
		(c.persona.Turns[c.turn].Prompt == 0 || c.persona.Turns[c.turn].Prompt == c.prompts) {
		t = &c.persona.Turns[c.turn]
		c.turn++
		c.bargedThis = true
	}
	c.turnMu.Unlock()
	if t != nil {
		go func() {
			if c.sleep(c.sim.scale(t.BargeInMs)) {
				c.doTurn(t)
			}
		}()
	}
	_ = gen
}

// promptEnded: after delay_ms of quiet the callee replies with the next turn.
func (c *call) promptEnded() {
	answered := c.isAnswered() && !c.isTransferred()
	c.turnMu.Lock()
	if c.bargedThis || c.turn >= len(c.persona.Turns) || !answered {
		c.turnMu.Unlock()
		return
	}
	if nt := c.persona.Turns[c.turn]; nt.BargeInMs > 0 && nt.Prompt > c.prompts {
		// This turn talks over a later prompt, not after this one.
		c.turnMu.Unlock()
		return
	}
	c.turnGen++
	gen := c.turnGen
	t := &c.persona.Turns[c.turn]
	c.turnMu.Unlock()
	delay := t.DelayMs
	if delay == 0 {
		delay = 400
	}
	go func() {
		if !c.sleep(c.sim.scale(delay)) {
			return
		}
		c.turnMu.Lock()
		if gen != c.turnGen { // another prompt started meanwhile
			c.turnMu.Unlock()
			return
		}
		c.turn++
		c.turnMu.Unlock()
		c.doTurn(t)
	}()
}

func (c *call) doTurn(t *Turn) {
	if t.Say != "" || t.Clip != "" {
		if !c.speak(t.Say, t.Clip, t.DurationMs) {
			return
		}
	}
	for _, d := range t.DTMF {
		if !c.sleep(c.sim.scale(100)) {
			return
		}
		c.sendDTMF(string(d))
	}
	if t.Hangup {
		if c.sleep(c.sim.scale(300)) {
			c.hangup("NORMAL_CLEARING", hangupRemote)
		}
	}
}

// sendDTMF fires a DTMF event as RFC 2833 digits arrive
// (outbound-session.jsonl: DTMF-Digit, DTMF-Duration 2240, DTMF-Source RTP).
func (c *call) sendDTMF(d string) {
	c.mu.Lock()
	c.dtmf += d
	c.mu.Unlock()
	c.fireChannel("DTMF", "switch_channel.c", "switch_channel_dequeue_dtmf", 677,
		"DTMF-Digit", d, "DTMF-Duration", "2240", "DTMF-Source", "RTP")
	select {
	case c.dtmfCh <- d:
	default: // nobody collecting and the buffer is full: FS drops too
	}
}

func (c *call) isAnswered() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.answeredAt.IsZero()
}

func (c *call) isTransferred() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.transferredAt.IsZero()
}
