package callctl_test

import (
	"sync/atomic"

	"gorm.io/gorm"

	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/waihu/waihu/app/callctl"
	"github.com/waihu/waihu/app/dialog"
	"github.com/waihu/waihu/app/speech"
	"github.com/waihu/waihu/app/speech/engines/sphinx"
	"github.com/waihu/waihu/app/speech/stream"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
	"github.com/waihu/waihu/esl"
	"github.com/waihu/waihu/esl/switchsim"
)

// bargeScript: a disclosure that may not be interrupted, then a long
// interruptible question.
const bargeScript = `{"name":"en-barge","lang":"en","start":"hello","defaults":{"silence_ms":6000},
 "nodes":[
  {"id":"hello","type":"say","text":"Hello, this is an automated assistant calling for the example company about your broadband plan today.","next":"ask"},
  {"id":"ask","type":"listen","text":"We have a new broadband plan with faster speeds and a lower monthly price than the one you pay today, and it comes with a free router. Are you interested in our offer?",
   "barge_in":{"mode":"after","after_ms":100},"expect":["yes i am interested","no thank you"],
   "branches":[{"intents":["interested","affirm"],"next":"yes","tags":["interested"]},{"intents":["not_interested","deny"],"next":"no","tags":["refused"]}],
   "silence":{"lines":[],"next":"no_reply"},"no_match":{"lines":[],"next":"no_reply"}},
  {"id":"yes","type":"hangup","text":"Great, goodbye."},
  {"id":"no","type":"hangup","text":"Sorry to bother you, goodbye."},
  {"id":"no_reply","type":"hangup","text":"Goodbye."}],
 "grading":{}}`

// speechRig is one simulator + engine with pocketsphinx and a spoken clip.
type speechRig struct {
	*rig
	rec   *sphinx.Engine
	clip  string
	usage *atomic.Value // the last call's callctl.Usage, as billing receives it
}

// yesClip synthesizes "yes I am interested" as an 8 kHz WAV.
func yesClip(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	raw, clip := filepath.Join(dir, "raw.wav"), filepath.Join(dir, "yes.wav")
	if out, err := exec.Command("flite", "-t", "yes I am interested", "-o", raw).CombinedOutput(); err != nil {
		t.Fatalf("flite is required (apt-get install flite): %v %s", err, out)
	}
	if out, err := exec.Command("sox", raw, "-r", "8000", "-c", "1", "-b", "16", clip).CombinedOutput(); err != nil {
		t.Fatalf("sox is required: %v %s", err, out)
	}
	return clip
}

// newSpeechRig runs script against personas (CLIP in the YAML is replaced
// by the clip's path); wire sets the engine's speech options.
func newSpeechRig(t *testing.T, script, personas string, wire func(o *callctl.EngineOptions, rec *sphinx.Engine, streams *stream.Registry, wsURL string)) *speechRig {
	t.Helper()
	clip := yesClip(t)
	pf := filepath.Join(t.TempDir(), "personas.yaml")
	if err := os.WriteFile(pf, []byte(strings.ReplaceAll(personas, "CLIP", clip)), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := switchsim.LoadPersonas(pf)
	if err != nil {
		t.Fatal(err)
	}
	var sc dialog.Script
	if err := json.Unmarshal([]byte(script), &sc); err != nil {
		t.Fatal(err)
	}
	rec, err := sphinx.New(sphinx.Config{})
	if err != nil {
		t.Fatalf("pocketsphinx is required (apt-get install pocketsphinx pocketsphinx-en-us): %v", err)
	}
	t.Cleanup(func() { rec.Close() })
	streams := stream.NewRegistry(stream.Options{})
	ws := httptest.NewServer(stream.NewServer(streams))
	t.Cleanup(ws.Close)

	db := storetest.Open(t, store.SQLite)
	ctx := store.AsPlatform(context.Background())
	svc := callctl.New(db, callctl.Options{Log: storetest.Logger()})
	usage := &atomic.Value{}
	svc.OnUsage(func(_ context.Context, _ *gorm.DB, _ *store.CallAttempt, u callctl.Usage) error {
		usage.Store(u)
		return nil
	})
	sim, err := switchsim.New(switchsim.Options{Password: "s", Personas: p, HeartbeatEvery: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	node := store.Node{Name: "sim", ESLAddr: sim.ESLAddr(), ESLPassword: "s", MaxCalls: 10, MaxCPS: 10, State: store.NodeEnabled, Simulated: true}
	trunk := store.Trunk{Name: "t", Host: "sim.invalid", Enabled: true, Simulated: true, Format: callctl.FormatNational}
	for _, row := range []any{&node, &trunk} {
		if err := db.With(ctx).Create(row).Error; err != nil {
			t.Fatal(err)
		}
	}
	db.With(ctx).Create(&store.TrunkAssignment{TenantID: 1, TrunkID: trunk.ID})
	o := callctl.EngineOptions{Log: storetest.Logger(), Scripts: templateScript{&sc},
		Pool: esl.PoolOptions{MinBackoff: 20 * time.Millisecond, ProbeInterval: -1}}
	wire(&o, rec, streams, "ws"+strings.TrimPrefix(ws.URL, "http"))
	engine := callctl.NewEngine(svc, o)
	if err := engine.Start(context.Background(), "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(engine.Close)
	r := &rig{t: t, db: db, svc: svc, engine: engine, sim: sim, trunk: trunk}
	r.waitFor("the node", func() bool { l := engine.NodeLoads(); return len(l) > 0 && l[0].Healthy })
	return &speechRig{rig: r, rec: rec, clip: clip, usage: usage}
}

// streaming wires mod_audio_stream recognition with pocketsphinx.
func streaming(o *callctl.EngineOptions, rec *sphinx.Engine, streams *stream.Registry, wsURL string) {
	o.Streams, o.StreamURL = streams, wsURL
	o.Recognizer = func(*store.CallAttempt, string) speech.StreamingRecognizer { return rec }
}

// utteranceOnly wires utterance mode alone: FreeSWITCH's record and
// pocketsphinx on the file, into dir.
func utteranceOnly(dir string) func(*callctl.EngineOptions, *sphinx.Engine, *stream.Registry, string) {
	return func(o *callctl.EngineOptions, rec *sphinx.Engine, _ *stream.Registry, _ string) {
		o.RecordDir = dir
		o.FileRecognizer = func(*store.CallAttempt, string) speech.FileRecognizer { return rec }
	}
}

// call places one call and returns the finished attempt, its dialogue
// result and the simulator's view of it.
func (r *speechRig) call(phone string) (store.CallAttempt, dialog.Result, switchsim.CallInfo) {
	r.t.Helper()
	got := r.final(r.dial(phone, 1))
	var res dialog.Result
	if err := json.Unmarshal([]byte(got.Timeline), &res); err != nil {
		r.t.Fatalf("timeline %q: %v", got.Timeline, err)
	}
	var info switchsim.CallInfo
	for _, c := range r.sim.Calls() {
		if c.Number == phone || strings.HasSuffix(phone, c.Number) || strings.HasSuffix(c.Number, strings.TrimPrefix(phone, "+86")) {
			info = c
		}
	}
	return got, res, info
}

// lastHeard is the last thing the callee was heard to say.
func lastHeard(res dialog.Result) string {
	heard := ""
	for _, e := range res.Timeline {
		if e.Who == "callee" && e.Text != "" && e.Event == "" {
			heard = e.Text
		}
	}
	return heard
}

func events(res dialog.Result) []string {
	var out []string
	for _, e := range res.Timeline {
		if e.Who == "system" && e.Event != "" {
			out = append(out, e.Event)
		}
	}
	return out
}

func journalIndex(j []switchsim.JournalEntry, from int, what, argPrefix string) int {
	for i := max(from, 0); i < len(j); i++ {
		if j[i].What == what && strings.HasPrefix(j[i].Arg, argPrefix) {
			return i
		}
	}
	return -1
}

func journalString(j []switchsim.JournalEntry) string {
	var b strings.Builder
	for _, e := range j {
		b.WriteString("\n  " + e.What + " " + e.Arg)
	}
	return b.String()
}

func wantYes(t *testing.T, got store.CallAttempt, res dialog.Result) {
	t.Helper()
	// pocketsphinx writes lower case; the simulator's side channel says
	// "yes I am interested": the heard line proves which path carried it.
	if h := lastHeard(res); h != "yes i am interested" {
		t.Fatalf("heard %q, want pocketsphinx's \"yes i am interested\" from the audio\n%s", h, got.Timeline)
	}
	if !strings.Contains(strings.Join(res.Path, ","), "yes") || !strings.Contains(got.Tags, "interested") {
		t.Fatalf("the answer did not take the interested branch: path %v tags %s\n%s", res.Path, got.Tags, got.Timeline)
	}
}

// TestStreamBargeInBreaksTheInterruptiblePrompt: the callee talks over the
// question (an interruptible line); the stream's VAD decides barge-in,
// waihu sends uuid_break all, and the dialogue goes on with what the
// callee said. Asserted as the order in which the switch saw things.
func TestStreamBargeInBreaksTheInterruptiblePrompt(t *testing.T) {
	r := newSpeechRig(t, bargeScript, `personas:
  - name: barger
    match: ["re:.*"]
    ring_ms: 200
    turns:
      - say: "yes I am interested"
        clip: CLIP
        barge_in_ms: 1500
        prompt: 2
`, streaming)
	got, res, info := r.call("+8613900000001")
	wantYes(t, got, res)
	j := info.Journal
	speech := journalIndex(j, 0, switchsim.JournalSpeechStart, "yes")
	brk := journalIndex(j, speech, switchsim.JournalBreak, "all")
	stop := journalIndex(j, brk, switchsim.JournalPlaybackStop, "break")
	next := journalIndex(j, stop, switchsim.JournalExecute, "playback say:Great, goodbye.")
	if speech < 0 || brk < 0 || stop < 0 || next < 0 {
		t.Fatalf("want speech start → uuid_break all → the question cut → the next prompt, in that order; journal:%s", journalString(j))
	}
	if n := strings.Count(journalString(j), "uuid_break"); n != 1 {
		t.Fatalf("%d uuid_break, want 1 (the disclosure must not be broken); journal:%s", n, journalString(j))
	}
	// The timeline keeps how much of the question the callee heard: what
	// the switch played, less than the whole line.
	full, played := 0, -1
	for _, e := range res.Timeline {
		if e.Who == "robot" && e.Node == "ask" && e.Text != "" {
			full = switchsim.PromptMs("say:"+e.Text, 0)
		}
		if e.Event == callctl.ReasonPlaybackBroken && e.Node == "ask" {
			played = e.PlayedMs
		}
	}
	cut := strings.Fields(j[stop].Arg)
	if played <= 0 || played >= full || len(cut) != 2 || cut[1] != strconv.Itoa(played) {
		t.Fatalf("played_ms %d in the timeline, switch says %q, line is %d ms\n%s", played, j[stop].Arg, full, got.Timeline)
	}
}

// TestStreamSpeechOverTheDisclosureDoesNotBreakIt: the callee talks over
// the AI disclosure (barge-in off): no uuid_break, the disclosure plays to
// its end, and the answer given after the question still counts.
func TestStreamSpeechOverTheDisclosureDoesNotBreakIt(t *testing.T) {
	r := newSpeechRig(t, bargeScript, `personas:
  - name: talker
    match: ["re:.*"]
    ring_ms: 200
    turns:
      - say: "yes I am interested"
        clip: CLIP
        barge_in_ms: 300
      - say: "yes I am interested"
        clip: CLIP
        delay_ms: 300
`, streaming)
	got, res, info := r.call("+8613900000002")
	j := info.Journal
	if strings.Contains(journalString(j), "uuid_break") {
		t.Fatalf("the disclosure (or the question) was broken; journal:%s", journalString(j))
	}
	speech := journalIndex(j, 0, switchsim.JournalSpeechStart, "yes")
	first := journalIndex(j, 0, switchsim.JournalPlaybackStop, "")
	if speech < 0 || first < speech || !strings.HasPrefix(j[first].Arg, "done ") {
		t.Fatalf("want the callee speaking during the disclosure and the disclosure played to the end; journal:%s", journalString(j))
	}
	wantYes(t, got, res)
}

// TestUtteranceModeRecognizesTheRecordedAnswer: the English call of
// TestEnglishCallRecognizedFromStreamedAudio without mod_audio_stream:
// FreeSWITCH's record app writes the answer to the shared directory and
// pocketsphinx recognizes the file. The side channel is ignored.
func TestUtteranceModeRecognizesTheRecordedAnswer(t *testing.T) {
	dir := t.TempDir()
	r := newSpeechRig(t, englishScript, `personas:
  - name: english
    match: ["re:.*"]
    ring_ms: 200
    turns:
      - say: "yes I am interested"
        clip: CLIP
        delay_ms: 300
`, utteranceOnly(dir))
	got, res, info := r.call("+8613900000003")
	wantYes(t, got, res)
	if journalIndex(info.Journal, 0, switchsim.JournalExecute, "record "+dir) < 0 {
		t.Fatalf("no record application into %s; journal:%s", dir, journalString(info.Journal))
	}
	// The recorded answers given to the recognizer are billed as ASR.
	if u, _ := r.usage.Load().(callctl.Usage); u.ASRSec <= 0 {
		t.Fatalf("usage %+v: want the recognized recording's seconds", u)
	}
}

// TestUtteranceModeTakesKeyPresses: a key pressed while the answer is
// being recorded answers the node.
func TestUtteranceModeTakesKeyPresses(t *testing.T) {
	script := strings.Replace(englishScript, `{"intents":["interested","affirm"],"next":"yes","tags":["interested"]}`,
		`{"intents":["interested","affirm"],"digits":"1","next":"yes","tags":["interested"]}`, 1)
	r := newSpeechRig(t, script, `personas:
  - name: keys
    match: ["re:.*"]
    ring_ms: 200
    turns:
      - dtmf: "1"
        delay_ms: 300
`, utteranceOnly(t.TempDir()))
	got, res, info := r.call("+8613900000004")
	if !strings.Contains(strings.Join(res.Path, ","), "yes") {
		t.Fatalf("key 1 did not take the yes branch: path %v\n%s\njournal:%s", res.Path, got.Timeline, journalString(info.Journal))
	}
}

// TestStreamDroppedOnceIsRestarted: the first stream's connection is lost
// without a CLOSE; waihu restarts it (reason codes in the timeline) and
// the answer is recognized from the second stream.
func TestStreamDroppedOnceIsRestarted(t *testing.T) {
	r := newSpeechRig(t, englishScript, `personas:
  - name: english
    match: ["re:.*"]
    ring_ms: 200
    audio_stream: {fail: drop, after_ms: 300, times: 1}
    turns:
      - say: "yes I am interested"
        clip: CLIP
        delay_ms: 300
`, streaming)
	got, res, info := r.call("+8613900000005")
	wantYes(t, got, res)
	ev := strings.Join(events(res), ",")
	want := "stream_connected,stream_error,stream_restarted,stream_connected"
	if !strings.Contains(ev, want) || strings.Contains(ev, callctl.ReasonUtteranceFallback) {
		t.Fatalf("timeline events %s, want %s and no fallback\njournal:%s", ev, want, journalString(info.Journal))
	}
	if strings.Contains(journalString(info.Journal), "execute record ") {
		t.Fatalf("a restarted stream must not fall back to recording; journal:%s", journalString(info.Journal))
	}
}

// TestStreamThatFailsTwiceFallsBackToUtteranceMode: every stream is
// refused; after one restart the call records its answers and still takes
// the right branch.
func TestStreamThatFailsTwiceFallsBackToUtteranceMode(t *testing.T) {
	dir := t.TempDir()
	r := newSpeechRig(t, englishScript, `personas:
  - name: english
    match: ["re:.*"]
    ring_ms: 200
    audio_stream: {fail: refuse}
    turns:
      - say: "yes I am interested"
        clip: CLIP
        delay_ms: 300
`, func(o *callctl.EngineOptions, rec *sphinx.Engine, streams *stream.Registry, wsURL string) {
		streaming(o, rec, streams, wsURL)
		utteranceOnly(dir)(o, rec, streams, wsURL)
	})
	got, res, info := r.call("+8613900000006")
	wantYes(t, got, res)
	ev := strings.Join(events(res), ",")
	want := "stream_error,stream_restarted,stream_error,utterance_fallback"
	if !strings.Contains(ev, want) {
		t.Fatalf("timeline events %s, want %s\n%s", ev, want, got.Timeline)
	}
	if journalIndex(info.Journal, 0, switchsim.JournalExecute, "record "+dir) < 0 {
		t.Fatalf("no record after the fallback; journal:%s", journalString(info.Journal))
	}
}

// killingRecognizer kills the pocketsphinx worker processes once, right
// after the first turn started on one.
type killingRecognizer struct {
	*sphinx.Engine
	t      *testing.T
	killed chan int
}

func (k *killingRecognizer) Start(ctx context.Context, o speech.RecognizeOptions) (speech.RecognitionStream, error) {
	st, err := k.Engine.Start(ctx, o)
	select {
	case n := <-k.killed:
		if n == 0 {
			n = killChildren(k.t, "pocketsphinx")
		}
		k.killed <- n
	default:
	}
	return st, err
}

// killChildren SIGKILLs this process's children whose command line holds
// name, and returns how many.
func killChildren(t *testing.T, name string) int {
	me := strconv.Itoa(os.Getpid())
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	n := 0
	for _, d := range dirs {
		stat, err := os.ReadFile(d + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid …
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		cmd, _ := os.ReadFile(d + "/cmdline")
		if len(f) > 1 && f[1] == me && strings.Contains(string(cmd), name) {
			pid, _ := strconv.Atoi(filepath.Base(d))
			if syscall.Kill(pid, syscall.SIGKILL) == nil {
				n++
			}
		}
	}
	if n == 0 {
		t.Errorf("no %s worker to kill", name)
	}
	return n
}

// TestKilledEngineWorkerFailsOnlyThatTurn: the pocketsphinx worker dies
// while the callee answers; that turn takes the script's no-match path
// (never dead air), and the next call is recognized normally.
func TestKilledEngineWorkerFailsOnlyThatTurn(t *testing.T) {
	var kr *killingRecognizer
	r := newSpeechRig(t, englishScript, `personas:
  - name: english
    match: ["re:.*"]
    ring_ms: 200
    turns:
      - say: "yes I am interested"
        clip: CLIP
        delay_ms: 300
`, func(o *callctl.EngineOptions, rec *sphinx.Engine, streams *stream.Registry, wsURL string) {
		kr = &killingRecognizer{Engine: rec, t: t, killed: make(chan int, 1)}
		kr.killed <- 0
		o.Streams, o.StreamURL = streams, wsURL
		o.Recognizer = func(*store.CallAttempt, string) speech.StreamingRecognizer { return kr }
	})
	got, res, _ := r.call("+8613900000007")
	if n := <-kr.killed; n == 0 {
		t.Fatal("the worker was not killed during the first call")
	}
	if !strings.Contains(strings.Join(res.Path, ","), "no_reply") || !strings.Contains(strings.Join(events(res), ","), "engine_error") {
		t.Fatalf("the turn with the killed worker: path %v events %v, want engine_error → no_reply\n%s", res.Path, events(res), got.Timeline)
	}
	got, res, _ = r.call("+8613900000008")
	wantYes(t, got, res)
}
