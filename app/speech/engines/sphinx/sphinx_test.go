package sphinx

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/waihu/waihu/app/speech"
	"github.com/waihu/waihu/app/speech/engines/flite"
)

var phrases = []string{"Yes, I am interested.", "No thanks", "Call me later", "Not interested", "Who is this?"}

func newEngine(t *testing.T) *Engine {
	t.Helper()
	e, err := New(Config{})
	if err != nil {
		t.Fatalf("pocketsphinx must be installed (apt-get install pocketsphinx pocketsphinx-en-us): %v", err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// say synthesizes text with the real flite at 8 kHz and pads it like a
// phone line: 300 ms before, 900 ms after.
func say(t *testing.T, text string) []byte {
	t.Helper()
	f, err := flite.New("")
	if err != nil {
		t.Fatalf("flite must be installed: %v", err)
	}
	a, err := f.Synthesize(context.Background(), speech.SynthRequest{Text: text, SampleRate: 8000})
	if err != nil {
		t.Fatal(err)
	}
	pcm := append(speech.Silence(8000, 300), a.PCM...)
	return append(pcm, speech.Silence(8000, 900)...)
}

// turn streams pcm in 320-byte frames (mod_audio_stream's 20 ms at 8k).
func turn(t *testing.T, e *Engine, pcm []byte) (speech.Result, error) {
	t.Helper()
	st, err := e.Start(context.Background(), speech.RecognizeOptions{Language: "en-US", SampleRate: 8000, Phrases: phrases})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for p := 0; p < len(pcm); p += 320 {
		if err := st.Write(pcm[p:min(p+320, len(pcm))]); err != nil {
			return speech.Result{}, err
		}
	}
	return st.Finish(context.Background())
}

func TestRecognizeFliteSpeech(t *testing.T) {
	e := newEngine(t)
	for _, want := range []string{"Yes, I am interested.", "Call me later", "Not interested", "Who is this?"} {
		t.Run(want, func(t *testing.T) {
			res, err := turn(t, e, say(t, want))
			if err != nil {
				t.Fatal(err)
			}
			if res.Text != want || !res.Final || len(res.Words) == 0 {
				t.Fatalf("heard %+v, want %q", res, want)
			}
			if res.StartMs < 200 || res.EndMs <= res.StartMs {
				t.Errorf("timings %d..%d ms, speech starts at 300 ms", res.StartMs, res.EndMs)
			}
		})
	}
	// One grammar, four turns: the model loaded once.
	if n := e.Starts(); n != 1 {
		t.Errorf("started %d workers for 4 turns of one grammar, want 1", n)
	}
}

func TestSilentTurnIsNoMatch(t *testing.T) {
	e := newEngine(t)
	res, err := turn(t, e, speech.Silence(8000, 1500))
	if err != nil || res.Text != "" || !res.Final {
		t.Fatalf("silence: %+v %v", res, err)
	}
}

func TestKilledWorkerFailsOnlyThatTurn(t *testing.T) {
	e := newEngine(t)
	if err := e.Prewarm(phrases); err != nil {
		t.Fatal(err)
	}
	st, err := e.Start(context.Background(), speech.RecognizeOptions{SampleRate: 8000, Phrases: phrases})
	if err != nil {
		t.Fatal(err)
	}
	pcm := say(t, "Call me later")
	_ = st.Write(pcm[:len(pcm)/2])
	w := st.(*stream).w
	if err := syscall.Kill(w.p.Pid(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-w.p.Done()
	werr := st.Write(pcm[len(pcm)/2:])
	_, ferr := st.Finish(context.Background())
	if !errors.Is(werr, speech.ErrEngineUnavailable) && !errors.Is(ferr, speech.ErrEngineUnavailable) {
		t.Fatalf("killed worker: write %v, finish %v", werr, ferr)
	}
	st.Close()
	res, err := turn(t, e, say(t, "Who is this?"))
	if err != nil || res.Text != "Who is this?" {
		t.Fatalf("next turn after kill: %+v %v", res, err)
	}
}

func TestGrammarRefusesUnknownWords(t *testing.T) {
	e := newEngine(t)
	for _, bad := range [][]string{nil, {"", "!!"}, {"yes", "qwzxv blorft"}} {
		if _, err := e.Start(context.Background(), speech.RecognizeOptions{Phrases: bad}); err == nil {
			t.Errorf("phrases %q accepted", bad)
		}
	}
}

func TestFileRecognizer(t *testing.T) {
	e := newEngine(t)
	res, err := e.Recognize(context.Background(), speech.Audio{SampleRate: 8000, Channels: 1, PCM: say(t, "Not interested")}, speech.RecognizeOptions{Phrases: phrases})
	if err != nil || res.Text != "Not interested" {
		t.Fatalf("file: %+v %v", res, err)
	}
}

// BenchmarkWarmTurn: one turn (1.5 s of 8 kHz audio written at once, then
// Finish) on a warm worker.
func BenchmarkWarmTurn(b *testing.B) {
	e, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	t := &testing.T{}
	pcm := say(t, "Call me later")
	if err := e.Prewarm(phrases); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		st, err := e.Start(context.Background(), speech.RecognizeOptions{SampleRate: 8000, Phrases: phrases})
		if err != nil {
			b.Fatal(err)
		}
		_ = st.Write(pcm)
		res, err := st.Finish(context.Background())
		if err != nil || res.Text != "Call me later" {
			b.Fatalf("%+v %v", res, err)
		}
		st.Close()
	}
}

// BenchmarkColdTurn: what a turn would cost if the model loaded per
// utterance (a new worker each time), the price the long-lived pool avoids.
func BenchmarkColdTurn(b *testing.B) {
	t := &testing.T{}
	pcm := say(t, "Call me later")
	for range b.N {
		e, err := New(Config{})
		if err != nil {
			b.Fatal(err)
		}
		st, err := e.Start(context.Background(), speech.RecognizeOptions{SampleRate: 8000, Phrases: phrases})
		if err != nil {
			b.Fatal(err)
		}
		_ = st.Write(pcm)
		res, err := st.Finish(context.Background())
		if err != nil || res.Text != "Call me later" {
			b.Fatalf("%+v %v", res, err)
		}
		st.Close()
		e.Close()
	}
}

func TestConcurrentTurnsAndPoolLimit(t *testing.T) {
	e, err := New(Config{MaxWorkers: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	opts := speech.RecognizeOptions{SampleRate: 8000, Phrases: phrases}
	a, err := e.Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Start(context.Background(), opts); !errors.Is(err, speech.ErrEngineUnavailable) {
		t.Fatalf("third concurrent turn with 2 workers: %v", err)
	}
	pa, pb := say(t, "Call me later"), say(t, "Not interested")
	done := make(chan speech.Result, 2)
	for _, x := range []struct {
		st  speech.RecognitionStream
		pcm []byte
	}{{a, pa}, {b, pb}} {
		go func() {
			for p := 0; p < len(x.pcm); p += 320 {
				_ = x.st.Write(x.pcm[p:min(p+320, len(x.pcm))])
			}
			r, _ := x.st.Finish(context.Background())
			done <- r
		}()
	}
	got := map[string]bool{}
	for range 2 {
		got[(<-done).Text] = true
	}
	if !got["Call me later"] || !got["Not interested"] {
		t.Fatalf("concurrent results %v", got)
	}
	// Both workers are idle again: a new turn reuses one.
	if _, err := turn(t, e, say(t, "Who is this?")); err != nil || e.Starts() != 2 {
		t.Fatalf("reuse: %v, %d starts", err, e.Starts())
	}
}

// A broken install (the binary exits at once) fails turns fast and backs
// off instead of forking a process per frame.
func TestBrokenBinaryBacksOff(t *testing.T) {
	e, err := New(Config{Bin: "false", BackoffMin: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	opts := speech.RecognizeOptions{SampleRate: 8000, Phrases: phrases}
	st, err := e.Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	pcm := say(t, "Call me later")
	var werr error
	for p := 0; p < len(pcm) && werr == nil; p += 320 {
		werr = st.Write(pcm[p:min(p+320, len(pcm))])
	}
	_, ferr := st.Finish(context.Background())
	if !errors.Is(werr, speech.ErrEngineUnavailable) && !errors.Is(ferr, speech.ErrEngineUnavailable) {
		t.Fatalf("broken worker: write %v finish %v", werr, ferr)
	}
	st.Close()
	// One immediate restart is allowed; after the second death starts wait.
	var refused error
	for range 5 {
		deadline := time.Now().Add(5 * time.Second)
		for e.backoff.Fails() < e.Starts() && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond) // let the watcher see the exit
		}
		st, err := e.Start(context.Background(), opts)
		if err != nil {
			refused = err
			break
		}
		_ = st.Write(pcm)
		_, _ = st.Finish(context.Background())
		st.Close()
	}
	if !errors.Is(refused, speech.ErrEngineUnavailable) || !strings.Contains(refused.Error(), "restarting") {
		t.Fatalf("start during backoff: %v", refused)
	}
	if e.Starts() != 2 {
		t.Fatalf("%d processes started", e.Starts())
	}
}
