// Package sphinx is the embedded English recognizer: Debian's
// pocketsphinx_continuous (0.8+5prealpha) in JSGF grammar mode, built from
// the phrases the current node expects.
//
// Long-lived workers: the 5prealpha CLI reads raw 16 kHz PCM from
// `-infile /dev/stdin` as a stream, segments it with its own VAD and prints
// (and flushes) each hypothesis with word times as soon as the segment ends.
// So one process per grammar loads the model once (~160 ms here) and then
// serves turn after turn; waihu writes a turn's audio plus a short silence
// flush and reads the hypothesis back. A grammar is fixed per process, so
// workers are pooled by grammar (a script's nodes map to a few grammars) and
// checked out for one turn at a time.
//
// Limitation: in grammar mode the CLI prints a word posterior of 1.0 for
// every word, so there is no usable confidence, and out-of-grammar speech
// ("what is the price?") may be forced onto the nearest phrase. Scripts should
// list the answers they expect broadly; remote engines give real confidences.
package sphinx

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/waihu/waihu/app/speech"
	"github.com/waihu/waihu/app/speech/proc"
	"github.com/waihu/waihu/app/speech/vad"
)

// Config locates the binary and model.
type Config struct {
	Bin          string        // default pocketsphinx_continuous
	ModelDir     string        // default /usr/share/pocketsphinx/model/en-us
	MaxWorkers   int           // processes in total, default 8
	FlushWait    time.Duration // after the worker has read all audio, grace for a late hypothesis; default 250 ms
	MaxWait      time.Duration // hard limit on waiting for the final after Finish; default 5 s
	WriteTimeout time.Duration // a worker that stops reading fails the turn after this; default 2 s
	// BackoffMin is the first wait between restarts after repeated deaths
	// (the first restart is immediate); default 100 ms, doubling to 10 s.
	BackoffMin time.Duration
}

// Engine is the pocketsphinx recognizer and its worker pool.
type Engine struct {
	cfg     Config
	dir     string
	dictMu  sync.Once
	dict    map[string]bool
	dictErr error

	mu      sync.Mutex
	idle    map[string][]*worker
	total   int
	warm    map[string]*grammar
	closed  bool
	backoff proc.Backoff
	starts  int
}

// New checks the binary and model files.
func New(cfg Config) (*Engine, error) {
	if cfg.Bin == "" {
		cfg.Bin = "pocketsphinx_continuous"
	}
	if cfg.ModelDir == "" {
		cfg.ModelDir = "/usr/share/pocketsphinx/model/en-us"
	}
	if cfg.MaxWorkers <= 0 {
		cfg.MaxWorkers = 8
	}
	if cfg.FlushWait <= 0 {
		cfg.FlushWait = 250 * time.Millisecond
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = 5 * time.Second
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 2 * time.Second
	}
	p, err := exec.LookPath(cfg.Bin)
	if err != nil {
		return nil, fmt.Errorf("pocketsphinx: %w: %v", speech.ErrEngineUnavailable, err)
	}
	cfg.Bin = p
	for _, f := range []string{"en-us/mdef", "cmudict-en-us.dict"} {
		if _, err := os.Stat(filepath.Join(cfg.ModelDir, f)); err != nil {
			return nil, fmt.Errorf("pocketsphinx model %s: %w: %v", f, speech.ErrEngineUnavailable, err)
		}
	}
	dir, err := os.MkdirTemp("", "waihu-sphinx-")
	if err != nil {
		return nil, fmt.Errorf("pocketsphinx: %w", err)
	}
	e := &Engine{cfg: cfg, dir: dir, idle: map[string][]*worker{}, warm: map[string]*grammar{}}
	e.backoff.Min = cfg.BackoffMin
	return e, nil
}

// Info describes the engine.
func (e *Engine) Info() speech.EngineInfo {
	return speech.EngineInfo{Name: "pocketsphinx", Kind: speech.KindASR, Languages: []string{"en-US"}, Embedded: true, Streaming: true}
}

// Starts counts worker processes started (tests check the model loads once).
func (e *Engine) Starts() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.starts
}

// Close kills every worker.
func (e *Engine) Close() error {
	e.mu.Lock()
	e.closed = true
	var ws []*worker
	for _, l := range e.idle {
		ws = append(ws, l...)
	}
	e.idle = map[string][]*worker{}
	e.mu.Unlock()
	for _, w := range ws {
		w.p.Kill()
	}
	return os.RemoveAll(e.dir)
}

func (e *Engine) loadDict() (map[string]bool, error) {
	e.dictMu.Do(func() {
		f, err := os.Open(filepath.Join(e.cfg.ModelDir, "cmudict-en-us.dict"))
		if err != nil {
			e.dictErr = err
			return
		}
		defer f.Close()
		e.dict = make(map[string]bool, 140000)
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			w, _, _ := strings.Cut(sc.Text(), " ")
			if i := strings.IndexByte(w, '('); i > 0 {
				w = w[:i]
			}
			e.dict[w] = true
		}
		e.dictErr = sc.Err()
	})
	return e.dict, e.dictErr
}

type grammar struct {
	key     string
	path    string
	phrases map[string]string // normalized → as the script wrote it
}

// Normalize lowercases and strips punctuation the way the grammar is built.
func Normalize(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || r == '\'' {
			return unicode.ToLower(r)
		}
		return ' '
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// Grammar builds (or reuses) the JSGF file for phrases. Phrases with words
// missing from the dictionary are refused by name, since pocketsphinx would
// otherwise fail to load the grammar and every turn would be no-match.
func (e *Engine) grammar(phrases []string) (*grammar, error) {
	dict, err := e.loadDict()
	if err != nil {
		return nil, fmt.Errorf("pocketsphinx dictionary: %w", err)
	}
	g := &grammar{phrases: map[string]string{}}
	var norm []string
	for _, p := range phrases {
		n := Normalize(p)
		if n == "" {
			continue
		}
		for _, w := range strings.Fields(n) {
			if !dict[w] {
				return nil, fmt.Errorf("phrase %q: word %q is not in the pocketsphinx dictionary", p, w)
			}
		}
		if _, dup := g.phrases[n]; !dup {
			g.phrases[n] = p
			norm = append(norm, n)
		}
	}
	if len(norm) == 0 {
		return nil, errors.New("pocketsphinx grammar: no phrases (grammar mode needs the phrases the node expects)")
	}
	slices.Sort(norm)
	h := sha256.Sum256([]byte(strings.Join(norm, "\n")))
	g.key = hex.EncodeToString(h[:8])
	g.path = filepath.Join(e.dir, g.key+".jsgf")
	if _, err := os.Stat(g.path); err != nil {
		body := "#JSGF V1.0;\ngrammar waihu;\npublic <utt> = " + strings.Join(norm, " | ") + " ;\n"
		tmp := g.path + ".tmp"
		if err := os.WriteFile(tmp, []byte(body), 0o600); err != nil {
			return nil, fmt.Errorf("write grammar: %w", err)
		}
		if err := os.Rename(tmp, g.path); err != nil {
			return nil, fmt.Errorf("write grammar: %w", err)
		}
	}
	return g, nil
}

// Prewarm starts a worker for phrases ahead of the first turn (publish time
// or call start) and keeps one alive: a worker of a warm grammar that dies is
// restarted with backoff.
func (e *Engine) Prewarm(phrases []string) error {
	g, err := e.grammar(phrases)
	if err != nil {
		return err
	}
	e.mu.Lock()
	e.warm[g.key] = g
	have := len(e.idle[g.key]) > 0
	e.mu.Unlock()
	if have {
		return nil
	}
	w, err := e.checkout(g)
	if err != nil {
		return err
	}
	e.checkin(w)
	return nil
}

type hyp struct {
	text    string
	words   []speech.Word // absolute ms in the worker's stream
	startMs int
	endMs   int
}

type worker struct {
	p       *proc.Worker
	g       *grammar
	fed     atomic.Int64 // 16 kHz samples written
	results chan hyp
	bad     atomic.Bool
}

var wordLine = regexp.MustCompile(`^(\S+) (\d+\.\d+) (\d+\.\d+) ([0-9.eE+-]+)$`)

func (e *Engine) start(g *grammar) (*worker, error) {
	m := e.cfg.ModelDir
	p, err := proc.StartWorker(e.cfg.Bin, "-hmm", filepath.Join(m, "en-us"), "-dict", filepath.Join(m, "cmudict-en-us.dict"),
		"-jsgf", g.path, "-infile", "/dev/stdin", "-time", "yes", "-logfn", "/dev/null")
	if err != nil {
		return nil, fmt.Errorf("pocketsphinx: %w: %v", speech.ErrEngineUnavailable, err)
	}
	w := &worker{p: p, g: g, results: make(chan hyp, 64)}
	go w.read()
	go e.watch(w)
	return w, nil
}

// read parses stdout: a hypothesis line followed by "word start end prob"
// lines, all written with one fflush, so a hypothesis is complete when a
// read ends on a line boundary.
func (w *worker) read() {
	defer close(w.results)
	buf := make([]byte, 0, 8192)
	chunk := make([]byte, 8192)
	var cur *hyp
	flush := func() {
		if cur != nil {
			w.results <- *cur
			cur = nil
		}
	}
	for {
		n, err := w.p.Stdout.Read(chunk)
		buf = append(buf, chunk[:n]...)
		for {
			i := strings.IndexByte(string(buf), '\n')
			if i < 0 {
				break
			}
			line := strings.TrimSpace(string(buf[:i]))
			buf = buf[i+1:]
			if m := wordLine.FindStringSubmatch(line); m != nil && cur != nil {
				s, _ := strconv.ParseFloat(m[2], 64)
				en, _ := strconv.ParseFloat(m[3], 64)
				c, _ := strconv.ParseFloat(m[4], 64)
				wd := speech.Word{Text: m[1], StartMs: int(s * 1000), EndMs: int(en * 1000), Confidence: min(max(c, 0), 1)}
				if len(cur.words) == 0 {
					cur.startMs = wd.StartMs
				}
				cur.endMs = wd.EndMs
				cur.words = append(cur.words, wd)
				continue
			}
			flush()
			cur = &hyp{text: line}
		}
		if len(buf) == 0 {
			flush()
		}
		if err != nil {
			flush()
			return
		}
	}
}

// watch records early deaths for the backoff and restarts warm workers.
func (e *Engine) watch(w *worker) {
	<-w.p.Done()
	// Every death we did not cause counts; Finish's Success resets it.
	if !w.p.KilledByUs() {
		e.backoff.Failure(time.Now())
	}
	e.mu.Lock()
	e.total--
	l := e.idle[w.g.key]
	if i := slices.Index(l, w); i >= 0 {
		e.idle[w.g.key] = slices.Delete(l, i, i+1)
	}
	g, warm := e.warm[w.g.key]
	need := warm && !e.closed && len(e.idle[w.g.key]) == 0
	e.mu.Unlock()
	if need {
		time.AfterFunc(e.backoff.Wait(time.Now()), func() {
			if nw, err := e.checkout(g); err == nil {
				e.checkin(nw)
			}
		})
	}
}

func (e *Engine) checkout(g *grammar) (*worker, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, fmt.Errorf("pocketsphinx: %w: closed", speech.ErrEngineUnavailable)
	}
	for l := e.idle[g.key]; len(l) > 0; l = e.idle[g.key] {
		w := l[len(l)-1]
		e.idle[g.key] = l[:len(l)-1]
		if w.p.Alive() {
			return w, nil
		}
	}
	if e.total >= e.cfg.MaxWorkers {
		// Evict an idle worker of another grammar; the busy ones serve calls.
		for k, l := range e.idle {
			if len(l) > 0 && k != g.key {
				w := l[0]
				e.idle[k] = l[1:]
				go w.p.Kill() // watch() decrements total when it exits
				break
			}
		}
	}
	if e.total >= e.cfg.MaxWorkers {
		return nil, fmt.Errorf("pocketsphinx: %w: all %d workers busy", speech.ErrEngineUnavailable, e.cfg.MaxWorkers)
	}
	if d := e.backoff.Wait(time.Now()); d > 0 {
		return nil, fmt.Errorf("pocketsphinx: %w: restarting after %d failures (next try in %v)", speech.ErrEngineUnavailable, e.backoff.Fails(), d.Round(time.Millisecond))
	}
	w, err := e.start(g)
	if err != nil {
		e.backoff.Failure(time.Now())
		return nil, err
	}
	e.total++
	e.starts++
	return w, nil
}

func (e *Engine) checkin(w *worker) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if w.bad.Load() || !w.p.Alive() || e.closed {
		go w.p.Kill()
		return
	}
	e.idle[w.g.key] = append(e.idle[w.g.key], w)
}

// Start begins a turn with the grammar of opts.Phrases.
func (e *Engine) Start(ctx context.Context, opts speech.RecognizeOptions) (speech.RecognitionStream, error) {
	g, err := e.grammar(opts.Phrases)
	if err != nil {
		return nil, err
	}
	w, err := e.checkout(g)
	if err != nil {
		return nil, err
	}
	// Drop hypotheses left over from an abandoned earlier turn.
	for drained := false; !drained; {
		select {
		case _, ok := <-w.results:
			drained = !ok
		default:
			drained = true
		}
	}
	s := &stream{
		e: e, w: w, rate: opts.Rate(), baseMs: int(w.fed.Load() * 1000 / 16000),
		cls: vad.NewClassifier(vad.Config{SampleRate: opts.Rate()}), frame: opts.Rate() / 50 * 2,
		partials: make(chan speech.Result, 16), update: make(chan struct{}, 1), stop: make(chan struct{}),
	}
	go s.collect()
	return s, nil
}

// Recognize runs one recording through a worker (utterance mode).
func (e *Engine) Recognize(ctx context.Context, a speech.Audio, opts speech.RecognizeOptions) (speech.Result, error) {
	return speech.FileFromStream(e).Recognize(ctx, a, opts)
}

type stream struct {
	e      *Engine
	w      *worker
	rate   int
	baseMs int
	cls    *vad.Classifier
	frame  int
	pend   []byte
	prev   int16
	posMs  int // turn audio analysed, ms
	voice  int // end of the last voiced frame, ms in the turn (0 = none)
	// collected state
	mu       sync.Mutex
	hyps     []hyp
	dead     bool
	partials chan speech.Result
	update   chan struct{}
	stop     chan struct{}
	once     sync.Once
	done     bool
}

func (s *stream) collect() {
	defer close(s.partials)
	for {
		select {
		case h, ok := <-s.w.results:
			if !ok {
				s.mu.Lock()
				s.dead = true
				s.mu.Unlock()
				s.signal()
				return
			}
			if h.endMs < s.baseMs || (len(h.words) > 0 && h.startMs < s.baseMs-20) {
				continue // belongs to an earlier turn
			}
			s.mu.Lock()
			s.hyps = append(s.hyps, h)
			s.mu.Unlock()
			s.signal()
			if h.text != "" {
				select {
				case s.partials <- speech.Result{Text: h.text, Engine: "pocketsphinx", StartMs: h.startMs - s.baseMs, EndMs: h.endMs - s.baseMs}:
				default:
				}
			}
		case <-s.stop:
			return
		}
	}
}

func (s *stream) signal() {
	select {
	case s.update <- struct{}{}:
	default:
	}
}

func (s *stream) Partials() <-chan speech.Result { return s.partials }

// Write feeds caller audio, upsampled to the 16 kHz the model wants.
func (s *stream) Write(pcm []byte) error {
	if s.done {
		return errors.New("pocketsphinx: write after finish")
	}
	s.pend = append(s.pend, pcm...)
	for len(s.pend) >= s.frame {
		f := s.cls.Classify(s.pend[:s.frame])
		s.posMs += 20
		if f.Voiced {
			s.voice = s.posMs
		}
		s.pend = s.pend[s.frame:]
	}
	var out []byte
	switch s.rate {
	case 16000:
		out = pcm
	case 8000:
		in := speech.Samples(pcm)
		up := make([]int16, 0, 2*len(in))
		for _, v := range in {
			up = append(up, int16((int32(s.prev)+int32(v))/2), v)
			s.prev = v
		}
		out = speech.PCMBytes(up)
	default:
		out = speech.Resample(speech.Audio{SampleRate: s.rate, Channels: 1, PCM: pcm}, 16000).PCM
	}
	return s.feed(out)
}

func (s *stream) feed(b []byte) error {
	if err := s.w.p.Write(b, s.e.cfg.WriteTimeout); err != nil {
		s.w.bad.Store(true)
		return fmt.Errorf("pocketsphinx: %w: %v", speech.ErrEngineUnavailable, err)
	}
	s.w.fed.Add(int64(len(b) / 2))
	return nil
}

// flushMs of silence pushes pocketsphinx's own VAD (50 frames post-speech)
// out of speech so it prints the segment.
const flushMs = 800

func (s *stream) Finish(ctx context.Context) (speech.Result, error) {
	if s.done {
		return speech.Result{}, errors.New("pocketsphinx: finish called twice")
	}
	s.done = true
	t0 := time.Now()
	defer s.Close()
	res := speech.Result{Final: true, Engine: "pocketsphinx"}
	if s.voice == 0 {
		// Nothing voiced in this turn: no need to wait for the engine.
		s.flushQuiet()
		res.Latency = time.Since(t0)
		return res, nil
	}
	if err := s.feed(make([]byte, 16000*flushMs/1000*2)); err != nil {
		return res, err
	}
	// Wait for the hypothesis covering our speech; if none comes, stop once
	// the worker has read all we wrote (pipe empty) plus a grace for its
	// last 128 ms chunk. Watching the pipe instead of a fixed timer keeps a
	// CPU-starved host from turning slow recognition into no-match.
	hard := time.NewTimer(s.e.cfg.MaxWait)
	defer hard.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var drained time.Time
	for {
		s.mu.Lock()
		covered := len(s.hyps) > 0 && s.hyps[len(s.hyps)-1].endMs >= s.baseMs+s.voice-100
		dead := s.dead
		s.mu.Unlock()
		if covered {
			break
		}
		if dead {
			s.w.bad.Store(true)
			return res, fmt.Errorf("pocketsphinx: %w: worker exited mid-turn", speech.ErrEngineUnavailable)
		}
		select {
		case <-s.update:
		case <-tick.C:
			if s.w.p.Pending() != 0 {
				drained = time.Time{}
				continue
			}
			if drained.IsZero() {
				drained = time.Now()
			}
			if time.Since(drained) < s.e.cfg.FlushWait {
				continue
			}
			goto settle
		case <-hard.C:
			goto settle
		case <-ctx.Done():
			s.w.bad.Store(true)
			return res, fmt.Errorf("pocketsphinx: %w", speech.ErrEngineTimeout)
		}
	}
settle:
	s.mu.Lock()
	if len(s.hyps) == 0 {
		s.mu.Unlock()
		res.Latency = time.Since(t0)
		return res, nil // voiced but not matched: no-match
	}
	s.mu.Unlock()
	s.mu.Lock()
	hs := slices.Clone(s.hyps)
	s.mu.Unlock()
	var texts []string
	var conf float64
	var nw int
	for _, h := range hs {
		if h.text != "" {
			texts = append(texts, h.text)
		}
		for _, wd := range h.words {
			if strings.HasPrefix(wd.Text, "<") || strings.HasPrefix(wd.Text, "[") {
				continue
			}
			wd.StartMs -= s.baseMs
			wd.EndMs -= s.baseMs
			if i := strings.IndexByte(wd.Text, '('); i > 0 {
				wd.Text = wd.Text[:i] // pronunciation variant marker
			}
			res.Words = append(res.Words, wd)
			conf += wd.Confidence
			nw++
		}
	}
	joined := strings.Join(texts, " ")
	res.Text = joined
	if orig, ok := s.w.g.phrases[joined]; ok {
		res.Text = orig
	} else {
		for i := len(texts) - 1; i >= 0; i-- {
			if orig, ok := s.w.g.phrases[texts[i]]; ok {
				res.Text = orig
				break
			}
		}
	}
	if nw > 0 {
		res.Confidence = conf / float64(nw)
		res.StartMs, res.EndMs = res.Words[0].StartMs, res.Words[nw-1].EndMs
	}
	res.Latency = time.Since(t0)
	s.e.backoff.Success()
	return res, nil
}

// flushQuiet ends any segment the worker might have open so the next turn
// starts clean.
func (s *stream) flushQuiet() {
	if !s.w.bad.Load() {
		_ = s.feed(make([]byte, 16000*flushMs/1000*2))
	}
}

func (s *stream) Close() error {
	s.once.Do(func() {
		if !s.done {
			s.done = true
			s.flushQuiet()
		}
		close(s.stop)
		s.e.checkin(s.w)
	})
	return nil
}
