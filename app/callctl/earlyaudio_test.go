package callctl_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/callctl"
	"github.com/waihu/waihu/app/demo"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
	"github.com/waihu/waihu/esl"
	"github.com/waihu/waihu/esl/switchsim"
)

func sox(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("sox", args...).CombinedOutput(); err != nil {
		t.Fatalf("sox %v (sox is required): %v: %s", args, err, out)
	}
}

// newFingerprintRig is newRig with the simulator playing the given
// personas and the fingerprint layer on (recordings in a temp dir).
func newFingerprintRig(t *testing.T, db *store.DB, personas *switchsim.Personas, ann *callctl.Announcements, recordDir string, carrier string) *rig {
	t.Helper()
	ctx := store.AsPlatform(context.Background())
	log := storetest.Logger()
	svc := callctl.New(db, callctl.Options{Log: log})
	cdr := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		c, err := callctl.ParseXMLCDRForm(body)
		if err == nil {
			_, err = svc.IngestCDR(r.Context(), c)
		}
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	t.Cleanup(cdr.Close)
	const scale = 0.1
	sim, err := switchsim.New(switchsim.Options{Password: "sim-secret", CDRURL: cdr.URL + "/cdr", TimeScale: scale, HeartbeatEvery: time.Second, SessionsPerSecond: 1000, Personas: personas})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	node := store.Node{Name: "sim", ESLAddr: sim.ESLAddr(), ESLPassword: "sim-secret", MaxCalls: 200, MaxCPS: 200, State: store.NodeEnabled, Simulated: true}
	trunk := store.Trunk{Name: "sim-trunk", Carrier: carrier, Host: "sim.invalid", Enabled: true, Simulated: true, Format: callctl.FormatNational}
	for _, row := range []any{&node, &trunk} {
		if err := db.With(ctx).Create(row).Error; err != nil {
			t.Fatal(err)
		}
	}
	if err := db.With(ctx).Create(&store.TrunkAssignment{TenantID: 1, TrunkID: trunk.ID}).Error; err != nil {
		t.Fatal(err)
	}
	engine := callctl.NewEngine(svc, callctl.EngineOptions{Log: log, SimTimeScale: scale, NodeRefresh: 200 * time.Millisecond,
		RecordDir: recordDir, Announcements: ann,
		Pool: esl.PoolOptions{MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, ProbeInterval: -1}})
	if err := engine.Start(context.Background(), "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(engine.Close)
	r := &rig{t: t, db: db, svc: svc, engine: engine, sim: sim, trunk: trunk}
	r.waitFor("the simulated node to connect", func() bool {
		for _, n := range engine.NodeLoads() {
			if n.Healthy {
				return true
			}
		}
		return false
	})
	return r
}

// The fingerprint layer alone (no recognizer, no transcript) classifies
// early media: the simulated carrier plays degraded copies of the
// references (gain, A-law round trip, noise, a late start), the SIP
// status alone (480) would say "no answer".
func TestFingerprintClassifiesEarlyMedia(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		dir := t.TempDir()
		ann := callctl.NewAnnouncements(db, filepath.Join(dir, "announcements"))
		ctx := context.Background()
		clips := map[string]string{}
		for _, c := range demo.AnnouncementClips {
			b, err := demo.AnnouncementWAV(c.File)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ann.Create(ctx, callctl.AnnouncementInput{Name: c.Name, Carrier: "cmcc", Outcome: c.Outcome}, b); err != nil {
				t.Fatal(err)
			}
			ref := filepath.Join(dir, c.File)
			if err := os.WriteFile(ref, b, 0o644); err != nil {
				t.Fatal(err)
			}
			// What the carrier's line delivers: quieter, A-law coded,
			// with noise, and joined 0.4 s late.
			coded := filepath.Join(dir, "coded-"+c.File)
			sox(t, ref, "-e", "a-law", "-b", "8", coded, "gain", "-7", "trim", "0.4")
			degraded := filepath.Join(dir, "line-"+c.File)
			sox(t, coded, "-e", "signed-integer", "-b", "16", degraded)
			clips[c.Outcome] = degraded
		}
		speech := filepath.Join(dir, "speech.wav")
		if out, err := exec.Command("espeak-ng", "-v", "cmn-latn-pinyin", "-w", filepath.Join(dir, "speech-raw.wav"), "wei4, ni3 hao3, qing3 wen4 ni3 zhao3 shei2").CombinedOutput(); err != nil {
			t.Fatalf("espeak-ng (required): %v: %s", err, out)
		}
		sox(t, filepath.Join(dir, "speech-raw.wav"), "-r", "8000", "-c", "1", "-b", "16", speech)

		early := func(match, clip, text string) *switchsim.Persona {
			return &switchsim.Persona{Name: "em-" + match, Match: []string{"*" + match}, Outcome: switchsim.OutcomeEarlyMedia,
				EarlyMedia: &switchsim.Announcement{Utterance: switchsim.Utterance{Text: text, Clip: clip}, SIPStatus: 480}}
		}
		personas := &switchsim.Personas{List: []*switchsim.Persona{
			early("41", clips[callctl.OutcomePoweredOff], ""),
			early("51", clips[callctl.OutcomeInvalidNumber], ""),
			// Speech that is no announcement: the SIP status decides.
			early("61", speech, ""),
			// A transcript says "busy" but the audio is the power-off
			// recording: the fingerprint wins.
			early("71", clips[callctl.OutcomePoweredOff], "您拨打的电话正在通话中"),
		}}
		rec := filepath.Join(dir, "recordings")
		r := newFingerprintRig(t, db, personas, ann, rec, "cmcc")
		want := map[string]struct{ outcome, early string }{
			"41": {callctl.OutcomePoweredOff, callctl.OutcomePoweredOff},
			"51": {callctl.OutcomeInvalidNumber, callctl.OutcomeInvalidNumber},
			"61": {callctl.OutcomeNoAnswer, ""},
			"71": {callctl.OutcomePoweredOff, callctl.OutcomePoweredOff},
		}
		attempts := map[string]*store.CallAttempt{}
		for d := range want {
			attempts[d] = r.dial("+86138001380"+d, 0)
		}
		for d, w := range want {
			got := r.final(attempts[d])
			if got.Outcome != w.outcome || got.EarlyMedia != w.early {
				t.Errorf("number …%s: outcome %q early %q (cause %s %d), want %q %q", d, got.Outcome, got.EarlyMedia, got.HangupCause, got.SIPStatus, w.outcome, w.early)
			}
		}
		// The early audio is not kept once judged.
		left, _ := filepath.Glob(filepath.Join(rec, "early", "*", "*.wav"))
		if len(left) != 0 {
			t.Errorf("early audio left behind: %v", left)
		}
	})
}

// References are scoped by carrier: another carrier's clips do not
// classify this trunk's calls, and without any reference nothing is
// recorded.
func TestFingerprintReferencesAreScopedByCarrier(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		dir := t.TempDir()
		ann := callctl.NewAnnouncements(db, filepath.Join(dir, "announcements"))
		b, _ := demo.AnnouncementWAV("power_off.wav")
		if _, err := ann.Create(context.Background(), callctl.AnnouncementInput{Name: "off", Carrier: "unicom", Outcome: callctl.OutcomePoweredOff}, b); err != nil {
			t.Fatal(err)
		}
		clip := filepath.Join(dir, "off.wav")
		if err := os.WriteFile(clip, b, 0o644); err != nil {
			t.Fatal(err)
		}
		personas := &switchsim.Personas{List: []*switchsim.Persona{{Name: "off", Match: []string{"*41"}, Outcome: switchsim.OutcomeEarlyMedia,
			EarlyMedia: &switchsim.Announcement{Utterance: switchsim.Utterance{Clip: clip}, SIPStatus: 480}}}}
		r := newFingerprintRig(t, db, personas, ann, filepath.Join(dir, "rec"), "cmcc")
		got := r.final(r.dial("+8613800138041", 0))
		if got.Outcome != callctl.OutcomeNoAnswer || got.EarlyMedia != "" {
			t.Errorf("outcome %q early %q: another carrier's reference classified the call", got.Outcome, got.EarlyMedia)
		}
		if _, err := os.Stat(filepath.Join(dir, "rec", "early")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("early media recorded with no reference for the carrier: %v", err)
		}
	})
}

func TestAnnouncementUploadValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		dir := t.TempDir()
		ann := callctl.NewAnnouncements(db, filepath.Join(dir, "announcements"))
		ctx := context.Background()
		good, _ := demo.AnnouncementWAV("invalid_number.wav")
		silence := filepath.Join(dir, "silence.wav")
		sox(t, "-n", "-r", "8000", "-b", "16", "-c", "1", silence, "trim", "0", "3")
		quiet, _ := os.ReadFile(silence)
		for name, c := range map[string]struct {
			in    callctl.AnnouncementInput
			wav   []byte
			field string
		}{
			"no name":     {callctl.AnnouncementInput{Outcome: callctl.OutcomeBusy}, good, "name"},
			"bad outcome": {callctl.AnnouncementInput{Name: "x", Outcome: "answered"}, good, "outcome"},
			"not a wav":   {callctl.AnnouncementInput{Name: "x", Outcome: callctl.OutcomeBusy}, []byte("hello"), "file"},
			"silence":     {callctl.AnnouncementInput{Name: "x", Outcome: callctl.OutcomeBusy}, quiet, "file"},
		} {
			_, err := ann.Create(ctx, c.in, c.wav)
			var ve *apperr.ValidationError
			if !errors.As(err, &ve) || ve.Fields[c.field] == "" {
				t.Errorf("%s: %v, want a validation error on %s", name, err, c.field)
			}
		}
		rows, _ := ann.List(ctx)
		if len(rows) != 0 {
			t.Fatalf("refused uploads stored %d rows", len(rows))
		}
		a, err := ann.Create(ctx, callctl.AnnouncementInput{Name: "空号", Outcome: callctl.OutcomeInvalidNumber}, good)
		if err != nil {
			t.Fatal(err)
		}
		b, err := ann.Create(ctx, callctl.AnnouncementInput{Name: "空号 (copy)", Carrier: "cmcc", Outcome: callctl.OutcomeInvalidNumber}, good)
		if err != nil {
			t.Fatal(err)
		}
		if a.AudioPath != b.AudioPath {
			t.Fatal("the same clip stored twice")
		}
		if err := ann.Delete(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(ann.AudioFile(b)); err != nil {
			t.Fatalf("deleting one reference removed audio another uses: %v", err)
		}
		if err := ann.Delete(ctx, b.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(ann.AudioFile(b)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("audio of the last reference kept: %v", err)
		}
		if err := ann.Delete(ctx, b.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("second delete: %v", err)
		}
	})
}
