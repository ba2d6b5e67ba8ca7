package pii

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestMaskPhone(t *testing.T) {
	cases := map[string]string{
		"13812345678":    "138****5678",
		"+8613812345678": "+86138****5678",
		"+14155550100":   "+141****0100",
		"0755-12345678":  "075******5678",
		"12345":          "*****",
		"":               "",
	}
	for in, want := range cases {
		if got := MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMaskText(t *testing.T) {
	cases := map[string]string{
		"dial 13812345678 now":         "dial 138****5678 now",
		"to +8613812345678, from 1001": "to +86138****5678, from 1001",
		"order 2026 item 42":           "order 2026 item 42",
		"uuid 3a04d82d-64a7-42fa":      "uuid 3a04d82d-64a7-42fa",
		"call 138 1234 5678 please":    "call 138****5678 please",
	}
	for in, want := range cases {
		if got := MaskText(in); got != want {
			t.Errorf("MaskText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHandlerMasksEverything(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(NewHandler(slog.NewTextHandler(&buf, nil))).With("callee", "13812345678")
	log.Info("dialing 13900001111", "err", errors.New("busy: 13700002222"), slog.Group("g", "n", "+8613600003333"))
	out := buf.String()
	for _, raw := range []string{"13812345678", "13900001111", "13700002222", "13600003333"} {
		if strings.Contains(out, raw) {
			t.Errorf("log line leaks %s: %s", raw, out)
		}
	}
	if !strings.Contains(out, "138****5678") {
		t.Errorf("log line lost the masked number: %s", out)
	}
}

func TestMaskTextLeavesIdentifiersAlone(t *testing.T) {
	for _, s := range []string{
		"attempt=f3433f9902634a79-bd75-d8ebdd9f1fcd",
		"attempt=dda55912-3ab1-4865-b5fd-b31d6093ee83",
		"hash=ab1234567890cd",
	} {
		if got := MaskText(s); got != s {
			t.Errorf("MaskText(%q) = %q", s, got)
		}
	}
	if got := MaskText("call to 13800138000 failed"); got == "call to 13800138000 failed" {
		t.Error("a phone number between spaces was not masked")
	}
}
