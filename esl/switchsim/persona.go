package switchsim

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
)

// Outcomes a persona can have before or at answer.
const (
	OutcomeAnswer        = "answer"         // 180, then 200 OK after ring_ms
	OutcomeBusy          = "busy"           // 486 Busy Here -> USER_BUSY
	OutcomeNoAnswer      = "no_answer"      // 180 until originate_timeout -> NO_ANSWER
	OutcomeReject        = "reject"         // 603 Decline -> CALL_REJECTED
	OutcomeNotFound      = "not_found"      // 404 -> UNALLOCATED_NUMBER
	OutcomeUnavailable   = "unavailable"    // 503 -> NORMAL_TEMPORARY_FAILURE
	OutcomePowerOff      = "power_off"      // 183 + announcement, then 480 -> NO_USER_RESPONSE
	OutcomeInvalidNumber = "invalid_number" // 183 + announcement, then 404 -> UNALLOCATED_NUMBER
	OutcomeEarlyMedia    = "early_media"    // 183 + early_media as given
	OutcomeSIP           = "sip"            // any final SIP status in sip_status
)

var outcomes = map[string]bool{OutcomeAnswer: true, OutcomeBusy: true, OutcomeNoAnswer: true, OutcomeReject: true,
	OutcomeNotFound: true, OutcomeUnavailable: true, OutcomePowerOff: true, OutcomeInvalidNumber: true,
	OutcomeEarlyMedia: true, OutcomeSIP: true}

// Utterance is something the simulated callee says: Text always (it is
// what the sim_speech side channel reports), Clip optionally (a WAV file
// for the audio path), DurationMs to override the derived length.
type Utterance struct {
	Text       string `yaml:"text"`
	Clip       string `yaml:"clip"`
	DurationMs int    `yaml:"duration_ms"`
}

// Announcement is carrier early media (183 Session Progress): what it
// says, how long it plays, the final SIP status that ends the call after
// it (0 = the outcome's default: 404 for invalid_number, else 480) and,
// with hangup_after_ms, how long after the 183 that final response comes
// (default: 500 ms after the announcement).
type Announcement struct {
	Utterance  `yaml:",inline"`
	SIPStatus  int `yaml:"sip_status"`
	RepeatTill int `yaml:"hangup_after_ms"`
}

// Turn is the callee's reaction to one robot prompt.
type Turn struct {
	// Say is the reply text (empty with DTMF or Hangup alone is fine).
	Say  string `yaml:"say"`
	Clip string `yaml:"clip"`
	// DurationMs overrides the length derived from Say/Clip.
	DurationMs int `yaml:"duration_ms"`
	// DelayMs is the pause after the prompt ends before speaking (default 400).
	DelayMs int `yaml:"delay_ms"`
	// BargeInMs, when > 0, makes the callee start speaking this many ms
	// into the prompt instead of waiting for its end.
	BargeInMs int `yaml:"barge_in_ms"`
	// Prompt, with barge_in_ms, is the robot prompt (1 = the first after
	// answer) this turn talks over; 0 = the next prompt.
	Prompt int `yaml:"prompt"`
	// DTMF digits pressed after speaking (RFC 2833, 100 ms apart).
	DTMF string `yaml:"dtmf"`
	// Hangup ends the call from the callee's side after this turn.
	Hangup bool `yaml:"hangup"`
}

// Stream faults (StreamFault.Fail).
const (
	// StreamRefuse: the connection is refused, as with no server
	// listening: ::error {"code":6,"error":"Connection refused (system
	// error 111)"} about 20 ms after the start (audio-stream.md §4).
	StreamRefuse = "refuse"
	// StreamDrop: the stream connects, then after after_ms the TCP
	// connection is lost without a WebSocket CLOSE: ::error code 1
	// "Connection closed without WebSocket CLOSE (abnormal EOF)".
	StreamDrop = "drop"
)

// StreamFault breaks the first Times uuid_audio_stream starts of a call
// (0: every start).
type StreamFault struct {
	Fail    string `yaml:"fail"`
	AfterMs int    `yaml:"after_ms"`
	Times   int    `yaml:"times"`
}

// Timed is a Turn that happens AtMs after answer instead of after a prompt.
type Timed struct {
	AtMs int `yaml:"at_ms"`
	Turn `yaml:",inline"`
}

// Persona is one scripted callee.
type Persona struct {
	Name string `yaml:"name"`
	// Match lists the numbers this persona answers for: an exact number,
	// "*<suffix>" (ends with), or "re:<regexp>". Empty: never matched
	// (only reachable as a default).
	Match   []string `yaml:"match"`
	Outcome string   `yaml:"outcome"`
	// SIPStatus is the final response for outcome "sip" (and overrides the
	// status of busy/reject/not_found/unavailable).
	SIPStatus int `yaml:"sip_status"`
	// RingMs is the time from INVITE to answer/failure (default 1000; the
	// recorded refusals came 300 ms after the INVITE with no 180). A refusal
	// with ring_ms of 1000 or more rings first (180 at 100 ms).
	RingMs *int `yaml:"ring_ms"`
	// EarlyMedia is the announcement for power_off / invalid_number /
	// early_media outcomes.
	EarlyMedia *Announcement `yaml:"early_media"`
	// Greeting is said right after answer ("喂？" or a voicemail greeting).
	Greeting *Utterance `yaml:"greeting"`
	// Turns are replies to the robot's prompts, in order.
	Turns []Turn `yaml:"turns"`
	// Timeline holds actions at fixed times after answer, whatever the
	// robot does (press 1 at 1000 ms, hang up at 9000 ms …).
	Timeline []Timed `yaml:"timeline"`
	// HangupAfterMs makes the callee hang up this long after answer (0 = never).
	HangupAfterMs int `yaml:"hangup_after_ms"`
	// TransferTalkMs is how long the callee talks with the agent after a
	// transfer before hanging up (default 8000).
	TransferTalkMs int `yaml:"transfer_talk_ms"`
	// AudioStream makes this callee's mod_audio_stream connections fail,
	// to exercise call control's restart and utterance fallback.
	AudioStream *StreamFault `yaml:"audio_stream"`

	matchRe []*regexp.Regexp
}

// Personas is a persona file: an ordered list, first match wins; numbers
// no persona matches get the default persona for their last digit.
type Personas struct {
	List     []*Persona `yaml:"personas"`
	defaults map[byte]*Persona
}

func intp(v int) *int { return &v }

// DefaultPersonas are the callees by last digit the issue fixes:
// 0 interested talker, 1 busy, 2 no answer, 3 reject, 4 power-off
// announcement, 5 invalid-number announcement, 6 answers and hangs up at
// once, 7 silent, 8 voicemail greeting, 9 talker who refuses.
func DefaultPersonas() *Personas {
	return &Personas{defaults: defaultByDigit()}
}

func defaultByDigit() map[byte]*Persona {
	return map[byte]*Persona{
		'0': {Name: "interested", Outcome: OutcomeAnswer, RingMs: intp(2000), HangupAfterMs: 120000,
			Greeting: &Utterance{Text: "喂，你好？"},
			Turns: []Turn{
				{Say: "嗯，有兴趣，你详细说说。"},
				{Say: "可以，那你加我微信吧。"},
				{Say: "好的，谢谢，再见。"},
			}},
		'1': {Name: "busy", Outcome: OutcomeBusy, RingMs: intp(300)},
		'2': {Name: "no_answer", Outcome: OutcomeNoAnswer, RingMs: intp(300)},
		'3': {Name: "reject", Outcome: OutcomeReject, RingMs: intp(3000)},
		'4': {Name: "power_off", Outcome: OutcomePowerOff, RingMs: intp(300),
			EarlyMedia: &Announcement{Utterance: Utterance{Text: "您拨打的电话已关机，请稍后再拨。Sorry, the subscriber you dialed is power off."}, SIPStatus: 480}},
		'5': {Name: "invalid_number", Outcome: OutcomeInvalidNumber, RingMs: intp(300),
			EarlyMedia: &Announcement{Utterance: Utterance{Text: "您拨打的号码是空号，请查证后再拨。Sorry, the number you dialed does not exist."}, SIPStatus: 404}},
		'6': {Name: "hangs_up", Outcome: OutcomeAnswer, RingMs: intp(1500), HangupAfterMs: 500},
		'7': {Name: "silent", Outcome: OutcomeAnswer, RingMs: intp(1500), HangupAfterMs: 60000},
		'8': {Name: "voicemail", Outcome: OutcomeAnswer, RingMs: intp(4000), HangupAfterMs: 30000,
			Greeting: &Utterance{Text: "您好，您拨打的用户暂时无法接听，请在提示音后留言，录音完毕请挂机。"}},
		'9': {Name: "refuses", Outcome: OutcomeAnswer, RingMs: intp(2000), HangupAfterMs: 60000,
			Greeting: &Utterance{Text: "喂，哪位？"},
			Turns: []Turn{
				{Say: "不需要，谢谢。"},
				{Say: "我说了不需要，别再打了。", Hangup: true},
			}},
	}
}

// For picks the persona for a dialled number.
func (p *Personas) For(number string) *Persona {
	for _, ps := range p.List {
		if ps.matches(number) {
			return ps
		}
	}
	if p.defaults == nil {
		p.defaults = defaultByDigit()
	}
	d := byte('0')
	for i := len(number) - 1; i >= 0; i-- {
		if number[i] >= '0' && number[i] <= '9' {
			d = number[i]
			break
		}
	}
	return p.defaults[d]
}

func (ps *Persona) matches(number string) bool {
	for i, m := range ps.Match {
		switch {
		case strings.HasPrefix(m, "re:"):
			if ps.matchRe[i] != nil && ps.matchRe[i].MatchString(number) {
				return true
			}
		case strings.HasPrefix(m, "*"):
			if strings.HasSuffix(number, m[1:]) {
				return true
			}
		case m == number:
			return true
		}
	}
	return false
}

func (ps *Persona) ringMs() int {
	if ps.RingMs == nil {
		return 1000
	}
	return *ps.RingMs
}

// LoadPersonas reads a persona YAML file.
func LoadPersonas(path string) (*Personas, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read personas: %w", err)
	}
	p, err := ParsePersonas(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// ParsePersonas parses and validates a persona file. Errors name the line
// and the field, e.g. `line 7: personas[1].outcome: unknown outcome "bsy"`.
func ParsePersonas(b []byte) (*Personas, error) {
	var p Personas
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty persona file: want a top-level \"personas:\" list")
		}
		return nil, fmt.Errorf("parse personas: %w", err)
	}
	var root yaml.Node
	_ = yaml.Unmarshal(b, &root)
	lines := personaLines(&root)
	line := func(i int, field string) int {
		if i < len(lines) {
			if l, ok := lines[i][field]; ok {
				return l
			}
			return lines[i][""]
		}
		return 0
	}
	seen := map[string]int{}
	for i, ps := range p.List {
		fail := func(field, format string, a ...any) error {
			return fmt.Errorf("line %d: personas[%d].%s: %s", line(i, field), i, field, fmt.Sprintf(format, a...))
		}
		if ps == nil {
			return nil, fmt.Errorf("line %d: personas[%d]: empty entry", line(i, ""), i)
		}
		if ps.Name == "" {
			return nil, fail("name", "required")
		}
		if j, dup := seen[ps.Name]; dup {
			return nil, fail("name", "duplicate name %q (also personas[%d])", ps.Name, j)
		}
		seen[ps.Name] = i
		if ps.Outcome == "" {
			ps.Outcome = OutcomeAnswer
		}
		if !outcomes[ps.Outcome] {
			return nil, fail("outcome", "unknown outcome %q (want one of answer, busy, no_answer, reject, not_found, unavailable, power_off, invalid_number, early_media, sip)", ps.Outcome)
		}
		if ps.Outcome == OutcomeSIP && (ps.SIPStatus < 300 || ps.SIPStatus > 699) {
			return nil, fail("sip_status", "outcome sip needs a final status 300..699, got %d", ps.SIPStatus)
		}
		if ps.SIPStatus != 0 && (ps.SIPStatus < 300 || ps.SIPStatus > 699) {
			return nil, fail("sip_status", "want 300..699, got %d", ps.SIPStatus)
		}
		if ps.RingMs != nil && *ps.RingMs < 0 {
			return nil, fail("ring_ms", "must not be negative")
		}
		if ps.TransferTalkMs < 0 {
			return nil, fail("transfer_talk_ms", "must not be negative")
		}
		if ps.HangupAfterMs < 0 {
			return nil, fail("hangup_after_ms", "must not be negative")
		}
		if f := ps.AudioStream; f != nil {
			if f.Fail != StreamRefuse && f.Fail != StreamDrop {
				return nil, fail("audio_stream", "fail want refuse or drop, got %q", f.Fail)
			}
			if f.AfterMs < 0 || f.Times < 0 {
				return nil, fail("audio_stream", "after_ms and times must not be negative")
			}
		}
		if ps.Outcome == OutcomeEarlyMedia && ps.EarlyMedia == nil {
			return nil, fail("early_media", "outcome early_media needs an early_media announcement")
		}
		if em := ps.EarlyMedia; em != nil {
			if em.SIPStatus != 0 && (em.SIPStatus < 300 || em.SIPStatus > 699) {
				return nil, fail("early_media", "sip_status want 300..699, got %d", em.SIPStatus)
			}
			if em.Text == "" && em.Clip == "" {
				return nil, fail("early_media", "needs text or clip")
			}
		}
		for j, t := range ps.Turns {
			if t.Say == "" && t.Clip == "" && t.DTMF == "" && !t.Hangup {
				return nil, fail("turns", "turns[%d] does nothing: give say, clip, dtmf or hangup", j)
			}
			if strings.Trim(t.DTMF, "0123456789*#ABCDabcd") != "" {
				return nil, fail("turns", "turns[%d].dtmf %q: only 0-9 * # A-D", j, t.DTMF)
			}
			if t.DelayMs < 0 || t.BargeInMs < 0 || t.DurationMs < 0 {
				return nil, fail("turns", "turns[%d]: negative time", j)
			}
		}
		for j, tm := range ps.Timeline {
			if tm.AtMs < 0 || tm.DurationMs < 0 {
				return nil, fail("timeline", "timeline[%d]: negative time", j)
			}
			if tm.Say == "" && tm.Clip == "" && tm.DTMF == "" && !tm.Hangup {
				return nil, fail("timeline", "timeline[%d] does nothing: give say, clip, dtmf or hangup", j)
			}
			if strings.Trim(tm.DTMF, "0123456789*#ABCDabcd") != "" {
				return nil, fail("timeline", "timeline[%d].dtmf %q: only 0-9 * # A-D", j, tm.DTMF)
			}
		}
		ps.matchRe = make([]*regexp.Regexp, len(ps.Match))
		for j, m := range ps.Match {
			if m == "" {
				return nil, fail("match", "match[%d] is empty", j)
			}
			if rest, ok := strings.CutPrefix(m, "re:"); ok {
				re, err := regexp.Compile(rest)
				if err != nil {
					return nil, fail("match", "match[%d]: %v", j, err)
				}
				ps.matchRe[j] = re
			}
		}
	}
	p.defaults = defaultByDigit()
	return &p, nil
}

// personaLines maps each persona index to the line of each of its keys
// ("" = the entry itself), so validation errors can point into the file.
func personaLines(root *yaml.Node) []map[string]int {
	if root == nil || len(root.Content) == 0 {
		return nil
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if doc.Content[i].Value != "personas" || doc.Content[i+1].Kind != yaml.SequenceNode {
			continue
		}
		var out []map[string]int
		for _, item := range doc.Content[i+1].Content {
			m := map[string]int{"": item.Line}
			if item.Kind == yaml.MappingNode {
				for k := 0; k+1 < len(item.Content); k += 2 {
					m[item.Content[k].Value] = item.Content[k].Line
				}
			}
			out = append(out, m)
		}
		return out
	}
	return nil
}

// SpeechMs is the length the simulator gives to spoken text when no clip
// fixes it: 300 ms lead-in, 200 ms per Han character (Mandarin runs about
// 4-5 syllables a second), 60 ms per other letter or digit, 150 ms per
// punctuation pause.
func SpeechMs(text string) int {
	ms := 300
	for _, r := range text {
		switch {
		case unicode.Is(unicode.Han, r):
			ms += 200
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			ms += 60
		case unicode.IsPunct(r):
			ms += 150
		}
	}
	return ms
}

// wavMs reads a RIFF/WAVE file's header and returns its length in ms
// (data chunk bytes / byte rate), or -1 if it is not a readable WAV.
func wavMs(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return -1
	}
	defer f.Close()
	var hdr [12]byte
	if _, err := io.ReadFull(f, hdr[:]); err != nil || string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return -1
	}
	byteRate := uint32(0)
	for i := 0; i < 64; i++ {
		var ch [8]byte
		if _, err := io.ReadFull(f, ch[:]); err != nil {
			return -1
		}
		size := binary.LittleEndian.Uint32(ch[4:])
		switch string(ch[0:4]) {
		case "fmt ":
			var fm [16]byte
			if size < 16 {
				return -1
			}
			if _, err := io.ReadFull(f, fm[:]); err != nil {
				return -1
			}
			byteRate = binary.LittleEndian.Uint32(fm[8:12])
			if _, err := f.Seek(int64(size-16+size%2), io.SeekCurrent); err != nil {
				return -1
			}
		case "data":
			if byteRate == 0 {
				return -1
			}
			return int(uint64(size) * 1000 / uint64(byteRate))
		default:
			if _, err := f.Seek(int64(size+size%2), io.SeekCurrent); err != nil {
				return -1
			}
		}
	}
	return -1
}

// utteranceMs is an utterance's length: explicit, else the clip's, else
// derived from the text.
func utteranceMs(text, clip string, explicit int) int {
	if explicit > 0 {
		return explicit
	}
	if clip != "" {
		if ms := wavMs(clip); ms > 0 {
			return ms
		}
	}
	return SpeechMs(text)
}
