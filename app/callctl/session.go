package callctl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"gorm.io/gorm"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/dialog"
	"github.com/waihu/waihu/app/speech/stream"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/esl"
)

// SimSpeechSubclass is the switch simulator's recognizer side channel: the
// simulated callee's words, sent beside its audio (esl/switchsim). Only a
// call on a simulated node reads it; a real FreeSWITCH never sends it.
const SimSpeechSubclass = "waihu::sim_speech"

// fallbackScript is what a call without a script version runs: the
// minimal "play a prompt and hang up" of the call-control issue.
const fallbackLine = "您好，这里是智能语音助手的测试来电，感谢接听，再见。"

// session is one answered (or early-media) call on its outbound socket. It
// reads the call's events in order and performs the dialogue's actions
// (see app/dialog's doc for the contract).
type session struct {
	e      *Engine
	s      *esl.OutboundSession
	lc     *liveCall
	uuid   string
	call   *dialog.Call
	lang   string
	hungUp bool
	// heard holds utterances that arrived while nothing was listening.
	heard []simUtterance
	dtmf  string
	start time.Time
	// evAt is when the event the dialogue is acting on arrived.
	evAt time.Time
	// audio is the callee's audio stream when streaming recognition runs;
	// ax the state of the listening path (audio.go, utterance.go).
	audio *stream.Call
	ax    audioState
	// fundsOut is set when billing can no longer cover the call.
	fundsOut atomic.Bool
	// meter counts pass-through usage for billing (usage.go).
	meter usageMeter
}

// event notes the arrival of an event the dialogue will act on.
func (ss *session) event() { ss.evAt = time.Now() }

// acted reports the event-to-command latency of the command about to go.
func (ss *session) acted() {
	if ss.evAt.IsZero() || ss.e.o.OnTurnLatency == nil {
		return
	}
	ss.e.o.OnTurnLatency(time.Since(ss.evAt))
	ss.evAt = time.Time{}
}

type simUtterance struct {
	text           string
	startMs, endMs int
}

// runSession is the outbound-socket handler: one goroutine per call.
func (e *Engine) runSession(ctx context.Context, s *esl.OutboundSession) {
	uuid := s.UUID()
	lc := e.call(uuid)
	if lc == nil {
		// Not a call this process placed (a stale socket after a restart):
		// nobody can run its dialogue, so end it rather than leave it parked.
		e.log.Warn("socket for a call this process does not follow; hanging up", "uuid", uuid)
		_ = s.Hangup(ctx, "NORMAL_CLEARING")
		_ = s.Close()
		return
	}
	lc.mu.Lock()
	lc.sessionOn = true
	lc.sessDone = make(chan struct{})
	lc.mu.Unlock()
	ss := &session{e: e, s: s, lc: lc, uuid: uuid, start: time.Now()}
	defer func() {
		// A socket that died with no hangup seen leaves the channel parked
		// on FreeSWITCH: the engine ends it (resilience.go).
		lost := s.Err() != nil && s.HangupEvent() == nil
		_ = s.Close()
		lc.mu.Lock()
		close(lc.sessDone)
		lc.mu.Unlock()
		if lost {
			e.sessionLost(lc)
		}
	}()
	if err := s.MyEvents(ctx); err != nil {
		e.log.Warn("myevents", "attempt", uuid, "err", err)
		return
	}
	if err := s.Linger(ctx); err != nil {
		e.log.Warn("linger", "attempt", uuid, "err", err)
		return
	}
	if state := s.ChannelData().Get("Answer-State"); state != "answered" {
		if !ss.earlyMedia(ctx) {
			return
		}
	}
	ss.talk(ctx)
}

// earlyMedia listens to a call that connected on early media (183) until
// it is answered (true), or the announcement says what became of it, or it
// ends. Carriers' announcements (关机, 空号…) end the call here with an
// outcome the SIP cause alone would not give.
func (ss *session) earlyMedia(ctx context.Context) bool {
	limit := time.NewTimer(ss.e.o.RingTimeout + 10*time.Second)
	defer limit.Stop()
	// The fingerprint layer (earlyaudio.go) records the announcement.
	rec := ss.startEarlyRecord(ctx)
	for {
		select {
		case <-ctx.Done():
			return false
		case <-limit.C:
			return false
		case <-ss.s.HungUp():
			ss.judgeEarly(ctx, rec, "")
			return false
		case <-rec.done():
			if ss.judgeEarly(ctx, rec, "") {
				_ = ss.s.Hangup(ctx, "NORMAL_CLEARING")
				return false
			}
		case ev, ok := <-ss.s.Events():
			if !ok {
				return false
			}
			switch ev.Name() {
			case esl.EvChannelAnswer:
				now := time.Now().UTC()
				ss.lc.mu.Lock()
				if ss.lc.answeredAt == nil {
					ss.lc.answeredAt = &now
				}
				ss.lc.mu.Unlock()
				ss.dropEarlyRecord(ctx, rec)
				return true
			case esl.EvCustom:
				u, ok := ss.simSpeech(ev)
				if !ok {
					continue
				}
				if outcome := ClassifyAnnouncement(u.text, nil); outcome != "" {
					ss.judgeEarly(ctx, rec, outcome)
					_ = ss.s.Hangup(ctx, "NORMAL_CLEARING")
					return false
				}
			}
		}
	}
}

// simSpeech reads the simulator's side channel; only simulated calls
// accept it.
func (ss *session) simSpeech(ev *esl.Event) (simUtterance, bool) {
	// With a real audio stream the recognizer hears the callee; the side
	// channel is ignored so the audio path is what the call depends on.
	if !ss.lc.simulated || ss.audio != nil || ss.utterance() || ev.Subclass() != SimSpeechSubclass {
		return simUtterance{}, false
	}
	u := simUtterance{text: strings.TrimSpace(ev.Get("Speech-Text"))}
	u.startMs, _ = strconv.Atoi(ev.Get("Speech-Start-Ms"))
	u.endMs, _ = strconv.Atoi(ev.Get("Speech-End-Ms"))
	return u, u.text != ""
}

// talk runs the dialogue of an answered call.
func (ss *session) talk(ctx context.Context) {
	e, lc := ss.e, ss.lc
	res := &sessionResult{}
	defer func() {
		if ss.call != nil {
			r := ss.call.Result()
			res.grade = r.Grade
			res.tags = jsonString(r.Tags)
			res.vars = jsonString(r.Vars)
			res.timeline = jsonString(r)
		}
		res.usage = ss.usage()
		lc.mu.Lock()
		lc.result = res
		lc.mu.Unlock()
	}()
	if e.o.RecordDir != "" {
		p := path.Join(e.o.RecordDir, strconv.FormatUint(lc.attempt.TenantID, 10), time.Now().UTC().Format("20060102"), ss.uuid+".wav")
		if _, err := ss.s.Execute(ctx, "record_session", p); err != nil {
			e.log.Warn("record_session", "attempt", ss.uuid, "err", err)
		} else {
			res.recordPath = p
		}
	}
	script, vars, err := ss.load(ctx)
	if err != nil {
		res.err = clip("load script: "+err.Error(), 512)
		e.log.Warn("load script; playing the fallback line", "attempt", ss.uuid, "err", err)
	}
	if script == nil {
		ss.play(ctx, fallbackLine, dialog.BargeIn{})
		_ = ss.s.Hangup(ctx, "NORMAL_CLEARING")
		return
	}
	ss.lang = script.Lang
	ss.startAudio(ctx)
	defer ss.forgetAudio()
	ss.call = dialog.NewCall(script, vars, ss.dialogOptions(ctx)...)
	stopFunds := ss.guardFunds(ctx)
	defer stopFunds()
	queue := ss.call.Start()
	for len(queue) > 0 && !ss.hungUp {
		if ss.fundsOut.Load() {
			// The tenant's money ran out mid-call: end it politely.
			ss.play(ctx, fundsOutLine(ss.lang), dialog.BargeIn{})
			res.err = "balance exhausted during the call"
			break
		}
		act := queue[0]
		queue = queue[1:]
		ss.expectNext(queue)
		queue = append(queue, ss.perform(ctx, act)...)
	}
	if !ss.hungUp {
		_ = ss.s.Hangup(ctx, "NORMAL_CLEARING")
	}
}

func (ss *session) load(ctx context.Context) (*dialog.Script, map[string]string, error) {
	a := &ss.lc.attempt
	if a.ScriptVersionID == 0 || ss.e.o.Scripts == nil {
		return nil, nil, nil
	}
	// Scripts and contacts are the tenant's own rows.
	ctx = store.WithTenant(ctx, a.TenantID)
	sc, err := ss.e.o.Scripts.LoadVersion(ctx, a.ScriptVersionID)
	if err != nil {
		return nil, nil, err
	}
	vars := map[string]string{}
	if ss.e.o.Vars != nil {
		if vars, err = ss.e.o.Vars(ctx, a); err != nil {
			return nil, nil, err
		}
	}
	return sc, vars, nil
}

// perform carries out one action and returns what the dialogue wants next.
func (ss *session) perform(ctx context.Context, act dialog.Action) []dialog.Action {
	switch a := act.(type) {
	case dialog.Say:
		return ss.say(ctx, a)
	case dialog.Listen:
		return ss.listen(ctx, time.Duration(a.TimeoutMs)*time.Millisecond, a.Expect)
	case dialog.CollectDTMF:
		return ss.collectDTMF(ctx, a)
	case dialog.Transfer:
		ss.transfer(ctx, a.Target)
		return nil
	case dialog.Hangup:
		if strings.TrimSpace(a.Text) != "" {
			ss.play(ctx, a.Text, dialog.BargeIn{})
		}
		if !ss.hungUp {
			ss.acted()
			_ = ss.s.Hangup(ctx, "NORMAL_CLEARING")
			ss.hungUp = true
		}
		return nil
	case dialog.SetVar, dialog.StopPlayback:
		// Variables come back in the call's result; a StopPlayback with
		// nothing playing has nothing to stop.
		return nil
	}
	return nil
}

// simMs converts wall time to the simulator's milliseconds.
func (ss *session) simMs(d time.Duration) int {
	if !ss.lc.simulated {
		return int(d / time.Millisecond)
	}
	return int(float64(d/time.Millisecond) / ss.e.o.SimTimeScale)
}

// wall converts a dialogue timeout (callee time) to the wall clock.
func (ss *session) wall(d time.Duration) time.Duration {
	if !ss.lc.simulated {
		return d
	}
	return time.Duration(float64(d) * ss.e.o.SimTimeScale)
}

// say plays one line; speech during it goes to the dialogue, which decides
// whether it may interrupt (barge-in) under the line's policy.
func (ss *session) say(ctx context.Context, a dialog.Say) []dialog.Action {
	return ss.playLine(ctx, a.Text, a.AudioURL, &a)
}

// play is a line outside the dialogue's control (closing line, fallback).
func (ss *session) play(ctx context.Context, text string, _ dialog.BargeIn) {
	ss.playLine(ctx, text, "", nil)
}

func (ss *session) promptArg(ctx context.Context, text, audioURL string) (string, error) {
	if audioURL != "" {
		return audioURL, nil
	}
	text = strings.Join(strings.Fields(text), " ")
	if ss.e.o.Prompts != nil {
		return ss.e.o.Prompts.Prompt(ctx, text, ss.lang, ss.lc.simulated)
	}
	return "say:" + text, nil
}

// playLine plays one line; sayAct is the dialogue's Say (nil for lines
// outside the dialogue). With an audio stream, speech during the line goes
// through promptAudio (barge-in, audio.go).
func (ss *session) playLine(ctx context.Context, text, audioURL string, sayAct *dialog.Say) []dialog.Action {
	dialogue := sayAct != nil
	var next []dialog.Action
	arg, err := ss.promptArg(ctx, text, audioURL)
	if err != nil {
		ss.e.log.Warn("prompt", "attempt", ss.uuid, "err", err)
		if dialogue && ss.call != nil {
			return ss.call.Handle(dialog.EngineError{Err: "synthesis: " + err.Error()})
		}
		return nil
	}
	ss.acted()
	started := time.Now()
	x, err := ss.s.ExecuteAsync(ctx, "playback", arg)
	if err != nil {
		if errors.Is(err, esl.ErrHangup) {
			return ss.hangup()
		}
		ss.e.log.Warn("playback", "attempt", ss.uuid, "err", err)
		return nil
	}
	ss.meter.played(text, audioURL)
	broken := false
	pa := ss.watchPrompt(sayAct)
	defer pa.done()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-pa.events():
			if ok {
				next = append(next, pa.handle(ctx, ev, func() int { return ss.simMs(time.Since(started)) })...)
			}
		case <-x.Done():
			ss.event()
			played := ss.simMs(time.Since(started))
			if pa != nil && pa.broken {
				played = ss.playedMs(x, pa.bargeMs)
				ss.note(dialog.Entry{Who: "robot", Node: sayAct.Node, Event: ReasonPlaybackBroken, PlayedMs: played})
			}
			if dialogue && ss.call != nil {
				next = append(next, ss.call.Handle(dialog.PlaybackDone{PlayedMs: played})...)
			}
			return next
		case <-ss.s.HungUp():
			return append(next, ss.hangup()...)
		case ev, ok := <-ss.s.Events():
			if !ok {
				return append(next, ss.hangup()...)
			}
			switch ev.Name() {
			case esl.EvDTMF:
				ss.dtmf += ev.Get("DTMF-Digit")
			case esl.EvCustom:
				if ss.moduleEvent(ctx, ev) {
					continue
				}
				u, ok := ss.simSpeech(ev)
				if !ok {
					continue
				}
				if !dialogue || ss.call == nil || broken {
					ss.heard = append(ss.heard, u)
					continue
				}
				// The simulator reports an utterance at its end; it began
				// (end-start) ms earlier, which is when a VAD would fire.
				playedAtStart := ss.simMs(time.Since(started)) - (u.endMs - u.startMs)
				if playedAtStart < 0 {
					playedAtStart = 0
				}
				acts := ss.call.Handle(dialog.BargedIn{PlayedMs: playedAtStart})
				acts = append(acts, ss.call.Handle(dialog.Heard{Text: u.text, Confidence: 1, Final: true, PlayedMs: playedAtStart})...)
				for _, act := range acts {
					if _, stop := act.(dialog.StopPlayback); stop {
						if !broken {
							if cmd, err := esl.UUIDBreak(ss.uuid, true); err == nil {
								if _, err := ss.s.API(ctx, cmd); err != nil {
									ss.e.log.Warn("uuid_break", "attempt", ss.uuid, "err", err)
								}
							}
							broken = true
						}
						continue
					}
					next = append(next, act)
				}
			}
		}
	}
}

// hangup records that the callee hung up.
func (ss *session) hangup() []dialog.Action {
	if ss.hungUp {
		return nil
	}
	ss.hungUp = true
	if ss.call != nil {
		return ss.call.Handle(dialog.CallerHangup{})
	}
	return nil
}

// listen waits for the callee's next utterance, key press or silence.
func (ss *session) listen(ctx context.Context, timeout time.Duration, expect []string) []dialog.Action {
	if ss.call == nil {
		return nil
	}
	if len(ss.heard) > 0 {
		u := ss.heard[0]
		ss.heard = ss.heard[1:]
		return ss.call.Handle(dialog.Heard{Text: u.text, Confidence: 1, Final: true})
	}
	if ss.dtmf != "" {
		d := ss.dtmf
		ss.dtmf = ""
		return ss.call.Handle(dialog.DTMF{Digits: d})
	}
	if ss.audio != nil {
		return ss.listenStream(ctx, timeout, expect)
	}
	if ss.utterance() {
		return ss.listenUtterance(ctx, timeout, expect)
	}
	if !ss.lc.simulated {
		// Without a recognizer for this call the turn takes the script's
		// no-match path instead of waiting in dead air.
		return ss.call.Handle(dialog.EngineError{Err: "no speech recognizer configured for this call"})
	}
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	timer := time.NewTimer(ss.wall(timeout))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
			ss.event()
			return ss.call.Handle(dialog.Silence{})
		case <-ss.s.HungUp():
			return ss.hangup()
		case ev, ok := <-ss.s.Events():
			if !ok {
				return ss.hangup()
			}
			switch ev.Name() {
			case esl.EvDTMF:
				ss.event()
				return ss.call.Handle(dialog.DTMF{Digits: ev.Get("DTMF-Digit")})
			case esl.EvCustom:
				if u, ok := ss.simSpeech(ev); ok {
					ss.event()
					return ss.call.Handle(dialog.Heard{Text: u.text, Confidence: 1, Final: true})
				}
			}
		}
	}
}

func (ss *session) collectDTMF(ctx context.Context, a dialog.CollectDTMF) []dialog.Action {
	if ss.call == nil {
		return nil
	}
	digits := ss.dtmf
	ss.dtmf = ""
	timeout := time.Duration(a.TimeoutMs) * time.Millisecond
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	done := func() bool {
		return (a.MaxDigits > 0 && len(digits) >= a.MaxDigits) || (a.Terminator != "" && strings.HasSuffix(digits, a.Terminator))
	}
	timer := time.NewTimer(ss.wall(timeout))
	defer timer.Stop()
	for !done() {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
			if digits != "" {
				return ss.call.Handle(dialog.DTMF{Digits: digits})
			}
			return ss.call.Handle(dialog.Silence{})
		case <-ss.s.HungUp():
			return ss.hangup()
		case ev, ok := <-ss.s.Events():
			if !ok {
				return ss.hangup()
			}
			if ev.Name() == esl.EvDTMF {
				digits += ev.Get("DTMF-Digit")
			}
		}
	}
	return ss.call.Handle(dialog.DTMF{Digits: strings.TrimSuffix(digits, a.Terminator)})
}

// transfer hands the callee to a person through the waihu_transfer
// dialplan context (freeswitch-conf/dialplan/waihu_transfer.xml). The
// robot's part ends; the socket lingers until the bridged call ends.
func (ss *session) transfer(ctx context.Context, target string) {
	ext := "agent_" + target
	if !transferTarget.MatchString(target) {
		// The dialplan extension is agent_<target>; anything else could
		// escape it (spaces split the transfer arguments).
		ss.e.log.Warn("transfer target refused", "attempt", ss.uuid, "target", target)
		_ = ss.s.Hangup(ctx, "NORMAL_CLEARING")
		ss.hungUp = true
		return
	}
	if err := ss.e.transferAllowed(ctx, ss.lc.attempt.TenantID, target); err != nil {
		ss.e.log.Warn("transfer target refused", "attempt", ss.uuid, "target", target, "err", err)
		_ = ss.s.Hangup(ctx, "NORMAL_CLEARING")
		ss.hungUp = true
		return
	}
	if _, err := ss.s.ExecuteAsync(ctx, "transfer", fmt.Sprintf("%s XML waihu_transfer", ext)); err != nil {
		ss.e.log.Warn("transfer", "attempt", ss.uuid, "err", err)
		_ = ss.s.Hangup(ctx, "NORMAL_CLEARING")
		ss.hungUp = true
		return
	}
	select {
	case <-ctx.Done():
	case <-ss.s.HungUp():
	}
	ss.hungUp = true
}

var transferTarget = regexp.MustCompile(`^[A-Za-z0-9_]{1,32}$`)

// transferAllowed refuses a transfer to another tenant's agent. Every
// tenant's agents share one SIP domain and their extensions are 100000 +
// user id, so a script could name any tenant's agent; the script is the
// tenant's own text. Targets that are no waihu agent (a group, a
// hand-made directory user) pass: the dialplan's own tenant check
// (waihu_transfer.xml) is the wall for those. A failed lookup refuses:
// a caller must never reach another company's agent.
func (e *Engine) transferAllowed(ctx context.Context, tenantID uint64, target string) error {
	var seats []store.AgentSIP
	if err := e.db.With(store.AsPlatform(ctx)).Select("tenant_id").Where("ext = ?", target).Limit(1).Find(&seats).Error; err != nil {
		return fmt.Errorf("look up agent %s: %w", target, err)
	}
	if len(seats) == 1 && seats[0].TenantID != tenantID {
		return fmt.Errorf("agent %s belongs to another tenant", target)
	}
	return nil
}

func jsonString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// language maps a script's language to a recognizer's.
func language(lang string) string {
	if strings.HasPrefix(lang, "en") {
		return "en-US"
	}
	return "zh-CN"
}

func fundsOutLine(lang string) string {
	if strings.HasPrefix(lang, "en") {
		return "We have to end this call now. Thank you, goodbye."
	}
	return "抱歉，本次通话需要结束了，感谢您的接听，再见。"
}

// guardFunds bounds an answered call by the tenant's money: FreeSWITCH's
// sched_hangup gets the longest the funds cover (the wall that holds even
// if waihu is gone), and every minute the hold is extended; when billing
// refuses, the dialogue ends the call with a closing line.
func (ss *session) guardFunds(ctx context.Context) (stop func()) {
	f := ss.e.o.Funds
	if f == nil {
		return func() {}
	}
	a := &ss.lc.attempt
	// A read: no transaction (billing reads the balance on its own handle).
	maxSec, err := f.MaxTalkSeconds(ctx, ss.e.db.With(store.AsPlatform(ctx)), a, ss.e.o.MaxCallSec)
	if err != nil {
		ss.e.log.Warn("max talk time", "attempt", ss.uuid, "err", err)
	}
	if err == nil && maxSec > 0 {
		if cmd, err := esl.SchedHangup(ss.uuid, maxSec, "ALLOTTED_TIMEOUT"); err == nil {
			if _, err := ss.s.API(ctx, cmd); err != nil {
				ss.e.log.Warn("sched_hangup", "attempt", ss.uuid, "err", err)
			}
		}
	}
	gctx, cancel := context.WithCancel(ctx)
	started := time.Now()
	go func() {
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			select {
			case <-gctx.Done():
				return
			case <-t.C:
				cover := int(time.Since(started)/time.Second) + 120
				err := ss.e.db.Tx(store.AsPlatform(gctx), func(tx *gorm.DB) error { return f.ExtendHold(gctx, tx, a, cover) })
				if errors.Is(err, apperr.ErrInsufficientFunds) {
					ss.fundsOut.Store(true)
					return
				}
				if err != nil {
					ss.e.log.Warn("extend hold", "attempt", ss.uuid, "err", err)
				}
			}
		}
	}()
	return cancel
}
