package ttscache

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/waihu/waihu/app/speech"
	"github.com/waihu/waihu/app/speech/engines/flite"
)

// counting wraps the real flite engine to count syntheses.
type counting struct {
	speech.Synthesizer
	n atomic.Int32
}

func (c *counting) Synthesize(ctx context.Context, r speech.SynthRequest) (speech.Audio, error) {
	c.n.Add(1)
	return c.Synthesizer.Synthesize(ctx, r)
}

func newCache(t *testing.T) (*Cache, *counting) {
	t.Helper()
	f, err := flite.New("")
	if err != nil {
		t.Fatalf("flite must be installed: %v", err)
	}
	cnt := &counting{Synthesizer: f}
	c, err := New(t.TempDir(), func(name string) (speech.Synthesizer, error) {
		if name == "flite" {
			return cnt, nil
		}
		return nil, speech.ErrUnknownEngine
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, cnt
}

func TestGetSynthesizesOnce(t *testing.T) {
	c, cnt := newCache(t)
	k := Key{Engine: "flite", Voice: "rms", Text: "Hello, this is a test call."}
	var wg sync.WaitGroup
	hashes := make([]string, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e, err := c.Get(context.Background(), k)
			if err != nil {
				t.Error(err)
			}
			hashes[i] = e.Hash
		}()
	}
	wg.Wait()
	e, err := c.Get(context.Background(), k)
	if err != nil || !e.Cached || e.DurationMs < 500 {
		t.Fatalf("second get: %+v %v", e, err)
	}
	if n := cnt.n.Load(); n != 1 {
		t.Fatalf("synthesized %d times", n)
	}
	for _, h := range hashes {
		if h != e.Hash {
			t.Fatalf("hash %s vs %s", h, e.Hash)
		}
	}
	if k2 := (Key{Engine: "flite", Voice: "rms", Text: k.Text, Speed: 1.2}); k2.Hash() == k.Hash() {
		t.Fatal("speed not in key")
	}
	if (Key{Engine: "flite", Text: " a "}).Hash() != (Key{Engine: "flite", Text: "a", Speed: 1, SampleRate: 8000}).Hash() {
		t.Fatal("defaults not normalized in key")
	}
	if _, err := c.Get(context.Background(), Key{Engine: "nope", Text: "x"}); !errors.Is(err, speech.ErrUnknownEngine) {
		t.Fatalf("unknown engine: %v", err)
	}
	if _, err := c.Get(context.Background(), Key{Engine: "flite", Text: " "}); !errors.Is(err, speech.ErrEmptySynthesis) {
		t.Fatalf("empty text: %v", err)
	}
}

func TestPrewarmNamesFailingLines(t *testing.T) {
	c, _ := newCache(t)
	res, err := c.Prewarm(context.Background(), Key{Engine: "flite"}, []string{"Good morning.", "", "Goodbye."})
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("err %v", err)
	}
	if res[0].Err != "" || res[2].Err != "" || res[1].Err == "" || res[0].Entry.Hash == "" {
		t.Fatalf("results %+v", res)
	}
}

func TestHandler(t *testing.T) {
	c, _ := newCache(t)
	e, err := c.Get(context.Background(), Key{Engine: "flite", Text: "Please hold."})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.StripPrefix("/fs/prompts", c.Handler()))
	defer srv.Close()
	get := func(method, p string, hdr map[string]string) *http.Response {
		req, _ := http.NewRequest(method, srv.URL+p, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	good := "/fs/prompts/" + e.File()
	tests := []struct {
		name   string
		method string
		path   string
		hdr    map[string]string
		status int
	}{
		{"get", "GET", good, nil, 200},
		{"head", "HEAD", good, nil, 200},
		{"revalidate", "GET", good, map[string]string{"If-None-Match": `"` + e.Hash + `"`}, 304},
		{"stale etag", "GET", good, map[string]string{"If-None-Match": `"abc"`}, 200},
		{"range", "GET", good, map[string]string{"Range": "bytes=0-43"}, 206},
		{"post", "POST", good, nil, 405},
		{"traversal", "GET", "/fs/prompts/../../etc/passwd", nil, 404},
		{"encoded traversal", "GET", "/fs/prompts/%2e%2e%2f" + e.File(), nil, 404},
		{"uppercase", "GET", "/fs/prompts/" + strings.ToUpper(e.Hash) + ".wav", nil, 404},
		{"short", "GET", "/fs/prompts/abc.wav", nil, 404},
		{"missing", "GET", "/fs/prompts/" + strings.Repeat("0", 32) + ".wav", nil, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := get(tt.method, tt.path, tt.hdr)
			if resp.StatusCode != tt.status {
				t.Fatalf("%s %s = %d, want %d", tt.method, tt.path, resp.StatusCode, tt.status)
			}
			if tt.status == 200 {
				if resp.Header.Get("ETag") != `"`+e.Hash+`"` || !strings.Contains(resp.Header.Get("Cache-Control"), "max-age") || resp.Header.Get("Content-Type") != "audio/wav" {
					t.Fatalf("headers %v", resp.Header)
				}
			}
		})
	}
	if u := URL("http_cache://http://h:1/fs/prompts/", e.Hash); u != "http_cache://http://h:1/fs/prompts/"+e.File() {
		t.Fatal(u)
	}
}

func TestImportRecording(t *testing.T) {
	c, _ := newCache(t)
	dir := t.TempDir()
	// A quiet 44.1 kHz stereo recording, made by the real sox.
	src := filepath.Join(dir, "greeting.wav")
	if out, err := exec.Command("sox", "-n", "-r", "44100", "-c", "2", "-b", "16", src, "synth", "1.5", "sine", "300-900", "vol", "0.05").CombinedOutput(); err != nil {
		t.Fatalf("sox must be installed: %v %s", err, out)
	}
	data, _ := os.ReadFile(src)
	e, err := c.ImportRecording(context.Background(), "我的录音 greeting.wav", data)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(e.Path)
	a, err := speech.DecodeWAV(b)
	if err != nil {
		t.Fatal(err)
	}
	if a.SampleRate != 8000 || a.Channels != 1 || math.Abs(float64(a.DurationMs()-1500)) > 20 {
		t.Fatalf("converted %d Hz %d ch %d ms", a.SampleRate, a.Channels, a.DurationMs())
	}
	if lv := LevelDBFS(a); math.Abs(lv-TargetDBFS) > 1 {
		t.Fatalf("level %.1f dBFS, want %.0f", lv, TargetDBFS)
	}
	bad := []struct{ name, data, want string }{
		{"broken.mp3", "definitely not audio", "broken.mp3"},
		{"noext", "RIFF", "noext"},
		{"empty.wav", "", "empty.wav"},
	}
	for _, b := range bad {
		if _, err := c.ImportRecording(context.Background(), b.name, []byte(b.data)); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%s: %v", b.name, err)
		}
	}
	silent := filepath.Join(dir, "silent.wav")
	_ = exec.Command("sox", "-n", "-r", "8000", "-c", "1", "-b", "16", silent, "trim", "0", "1").Run()
	data, _ = os.ReadFile(silent)
	if _, err := c.ImportRecording(context.Background(), "silent.wav", data); err == nil || !strings.Contains(err.Error(), "silent") {
		t.Errorf("silent: %v", err)
	}
}

func BenchmarkGetHit(b *testing.B) {
	t := &testing.T{}
	c, _ := newCache(t)
	k := Key{Engine: "flite", Text: "Please hold."}
	if _, err := c.Get(context.Background(), k); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if e, err := c.Get(context.Background(), k); err != nil || !e.Cached {
			b.Fatal(err)
		}
	}
}
