package speech_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/waihu/waihu/app/speech"
	"github.com/waihu/waihu/app/speech/engines/sphinx"
)

// Utterance mode on a real recording: flite speaks, sox makes it a 44.1 kHz
// stereo WAV like a recorder might, pocketsphinx recognizes it.
func TestRecognizeRecording(t *testing.T) {
	dir := t.TempDir()
	raw := filepath.Join(dir, "a.wav")
	rec := filepath.Join(dir, "answer.wav")
	if out, err := exec.Command("flite", "-voice", "rms", "-t", "call me later", "-o", raw).CombinedOutput(); err != nil {
		t.Fatalf("flite must be installed: %v %s", err, out)
	}
	if out, err := exec.Command("sox", raw, "-r", "44100", "-c", "2", rec, "pad", "0.4", "0.8").CombinedOutput(); err != nil {
		t.Fatalf("sox must be installed: %v %s", err, out)
	}
	wav, _ := os.ReadFile(rec)
	e, err := sphinx.New(sphinx.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	res, err := speech.RecognizeRecording(context.Background(), e, wav, speech.RecognizeOptions{Phrases: []string{"Call me later", "Not interested"}})
	if err != nil || res.Text != "Call me later" {
		t.Fatalf("%+v %v", res, err)
	}
	if _, err := speech.RecognizeRecording(context.Background(), e, []byte("junk"), speech.RecognizeOptions{}); err == nil {
		t.Fatal("junk accepted")
	}
}
