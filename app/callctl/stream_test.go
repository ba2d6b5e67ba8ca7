package callctl_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/waihu/waihu/app/callctl"
	"github.com/waihu/waihu/app/dialog"
	"github.com/waihu/waihu/app/speech"
	"github.com/waihu/waihu/app/speech/engines/flite"
	"github.com/waihu/waihu/app/speech/engines/sphinx"
	"github.com/waihu/waihu/app/speech/stream"
	"github.com/waihu/waihu/app/speech/ttscache"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
	"github.com/waihu/waihu/esl"
	"github.com/waihu/waihu/esl/switchsim"
)

const englishScript = `{"name":"en-stream","lang":"en","start":"hello","defaults":{"silence_ms":6000},
 "nodes":[
  {"id":"hello","type":"say","text":"Hello, this is an automated call.","next":"ask"},
  {"id":"ask","type":"listen","text":"Are you interested in our offer?","expect":["yes i am interested","no thank you"],
   "branches":[{"intents":["interested","affirm"],"next":"yes","tags":["interested"]},{"intents":["not_interested","deny"],"next":"no","tags":["refused"]}],
   "silence":{"lines":[],"next":"no_reply"},"no_match":{"lines":[],"next":"no_reply"}},
  {"id":"yes","type":"hangup","text":"Great, goodbye."},
  {"id":"no","type":"hangup","text":"Sorry to bother you, goodbye."},
  {"id":"no_reply","type":"hangup","text":"Goodbye."}],
 "grading":{}}`

// TestEnglishCallRecognizedFromStreamedAudio places a call whose simulated
// callee speaks a synthesized WAV: the words reach waihu only as audio over
// mod_audio_stream's WebSocket protocol, pocketsphinx recognizes them, and
// the script takes the branch they mean. The simulator's text side channel
// is ignored on a streamed call, so a broken audio path fails the test.
func TestEnglishCallRecognizedFromStreamedAudio(t *testing.T) {
	dir := t.TempDir()
	raw, clip := filepath.Join(dir, "raw.wav"), filepath.Join(dir, "yes.wav")
	if out, err := exec.Command("flite", "-t", "yes I am interested", "-o", raw).CombinedOutput(); err != nil {
		t.Fatalf("flite is required (apt-get install flite): %v %s", err, out)
	}
	if out, err := exec.Command("sox", raw, "-r", "8000", "-c", "1", "-b", "16", clip).CombinedOutput(); err != nil {
		t.Fatalf("sox is required: %v %s", err, out)
	}
	personas := filepath.Join(dir, "personas.yaml")
	yaml := "personas:\n  - name: english\n    match: [\"re:.*\"]\n    outcome: answer\n    ring_ms: 200\n    turns:\n      - say: \"yes I am interested\"\n        clip: " + clip + "\n        delay_ms: 300\n"
	if err := os.WriteFile(personas, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := switchsim.LoadPersonas(personas)
	if err != nil {
		t.Fatal(err)
	}
	var sc dialog.Script
	if err := json.Unmarshal([]byte(englishScript), &sc); err != nil {
		t.Fatal(err)
	}
	rec, err := sphinx.New(sphinx.Config{})
	if err != nil {
		t.Fatalf("pocketsphinx is required (apt-get install pocketsphinx pocketsphinx-en-us): %v", err)
	}
	defer rec.Close()
	streams := stream.NewRegistry(stream.Options{})
	ws := httptest.NewServer(stream.NewServer(streams))
	defer ws.Close()

	db := storetest.Open(t, store.SQLite)
	ctx := store.AsPlatform(context.Background())
	svc := callctl.New(db, callctl.Options{Log: storetest.Logger()})
	// The call's usage as billing would receive it: the recognizer heard audio.
	var usage atomic.Value
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
	defer sim.Close()
	node := store.Node{Name: "sim", ESLAddr: sim.ESLAddr(), ESLPassword: "s", MaxCalls: 10, MaxCPS: 10, State: store.NodeEnabled, Simulated: true}
	trunk := store.Trunk{Name: "t", Host: "sim.invalid", Enabled: true, Simulated: true, Format: callctl.FormatNational}
	for _, row := range []any{&node, &trunk} {
		if err := db.With(ctx).Create(row).Error; err != nil {
			t.Fatal(err)
		}
	}
	db.With(ctx).Create(&store.TrunkAssignment{TenantID: 1, TrunkID: trunk.ID})
	turns := speech.NewTurnLog()
	// The script's chosen voice reaches the prompts through the session's
	// context (callctl.AttemptFrom), as the voice picker's choice does in serve.
	tts, err := flite.New("")
	if err != nil {
		t.Fatal(err)
	}
	cache, err := ttscache.New(t.TempDir(), func(string) (speech.Synthesizer, error) { return tts, nil })
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu        sync.Mutex // the session's goroutine appends, the test reads
		chosenFor []string
	)
	prompts := &callctl.TTSPrompts{Cache: cache, BaseURL: "http://waihu.invalid/prompts", Voices: map[string]ttscache.Key{"en": {Engine: "flite"}},
		Choose: func(ctx context.Context, _ string) (ttscache.Key, bool) {
			a, ok := callctl.AttemptFrom(ctx)
			if !ok {
				return ttscache.Key{}, false
			}
			mu.Lock()
			chosenFor = append(chosenFor, a.UUID)
			mu.Unlock()
			return ttscache.Key{Engine: "flite", Voice: "slt"}, true
		}}
	engine := callctl.NewEngine(svc, callctl.EngineOptions{Log: storetest.Logger(), Scripts: templateScript{&sc},
		Streams: streams, StreamURL: "ws" + strings.TrimPrefix(ws.URL, "http"),
		Recognizer:  func(*store.CallAttempt, string) speech.StreamingRecognizer { return turns.Wrap(rec) },
		SpeechTurns: turns.Take, Prompts: prompts,
		Pool: esl.PoolOptions{MinBackoff: 20 * time.Millisecond, ProbeInterval: -1}})
	if err := engine.Start(context.Background(), "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer engine.Close()
	r := &rig{t: t, db: db, svc: svc, engine: engine, sim: sim, trunk: trunk}
	r.waitFor("the node", func() bool { l := engine.NodeLoads(); return len(l) > 0 && l[0].Healthy })
	got := r.final(r.dial("+8613900000001", 1))
	var res dialog.Result
	if err := json.Unmarshal([]byte(got.Timeline), &res); err != nil {
		t.Fatal(err)
	}
	// pocketsphinx writes lower case; the simulator's side channel says
	// "yes I am interested": the heard line proves which path carried it.
	heard := ""
	for _, e := range res.Timeline {
		if e.Who == "callee" && e.Text != "" {
			heard = e.Text
		}
	}
	if heard != "yes i am interested" {
		t.Fatalf("heard %q, want pocketsphinx's \"yes i am interested\" from the streamed audio\n%s", heard, got.Timeline)
	}
	if !strings.Contains(strings.Join(res.Path, ","), "yes") || !strings.Contains(got.Tags, "interested") {
		t.Fatalf("the streamed answer did not take the interested branch: path %v tags %s\n%s", res.Path, got.Tags, got.Timeline)
	}
	if u, _ := usage.Load().(callctl.Usage); u.ASRSec <= 0 || u.TTSChars <= 0 {
		t.Fatalf("usage %+v: want the recognizer's seconds and the played characters", u)
	}
	// The stored timeline says which engine heard the turn and how long
	// recognition took after the endpoint (the console's transcript shows it).
	var withTurns struct {
		SpeechTurns []speech.TurnRecord `json:"speech_turns"`
	}
	if err := json.Unmarshal([]byte(got.Timeline), &withTurns); err != nil {
		t.Fatal(err)
	}
	if len(withTurns.SpeechTurns) != 1 {
		t.Fatalf("speech turns %+v\n%s", withTurns.SpeechTurns, got.Timeline)
	}
	if st := withTurns.SpeechTurns[0]; st.ASREngine != "pocketsphinx" || st.Text != heard || st.Turn != 1 || st.RecognitionMs <= 0 || st.Reason != "" {
		t.Fatalf("speech turn %+v", st)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(chosenFor) == 0 || chosenFor[0] != got.UUID {
		t.Fatalf("the prompts' voice choice saw attempts %v, want %s", chosenFor, got.UUID)
	}
	if _, ok := cache.Stat(ttscache.Key{Engine: "flite", Voice: "slt", Speed: 1, Text: "Hello, this is an automated call."}.Hash()); !ok {
		t.Fatal("the opening line was not synthesized in the chosen voice")
	}
	if left := turns.Take(got.UUID); left != nil {
		t.Fatalf("records kept after the call: %+v", left)
	}
}

type templateScript struct{ s *dialog.Script }

func (t templateScript) LoadVersion(context.Context, uint64) (*dialog.Script, error) { return t.s, nil }
