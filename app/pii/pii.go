// Package pii masks personal data, phone numbers above all, before it reaches
// a log line. The slog handler here wraps every logger waihu builds, so a
// number logged by mistake is still masked.
package pii

import (
	"context"
	"log/slog"
	"regexp"
	"strings"
)

// MaskPhone shows the first three and last four digits of a number and hides
// the rest: +8613812345678 -> +86138****5678, 13812345678 -> 138****5678.
// Numbers too short to mask meaningfully are hidden whole.
func MaskPhone(s string) string {
	prefix := ""
	if strings.HasPrefix(s, "+86") && len(s) > 3 {
		prefix, s = "+86", s[3:]
	} else if strings.HasPrefix(s, "+") {
		prefix, s = "+", s[1:]
	}
	n := len(s)
	switch {
	case n == 0:
		return prefix
	case n < 7:
		return prefix + strings.Repeat("*", n)
	}
	return prefix + s[:3] + strings.Repeat("*", n-7) + s[n-4:]
}

// phoneRun matches runs of 7 to 15 digits (optionally after + or with
// separators inside) that look like phone numbers in free text.
var phoneRun = regexp.MustCompile(`\+?\d[\d\- ]{5,18}\d`)

// MaskText masks every phone-number-like run of digits in s.
func MaskText(s string) string {
	if !hasDigitRun(s) {
		return s
	}
	var b strings.Builder
	last := 0
	for _, loc := range phoneRun.FindAllStringIndex(s, -1) {
		// A run glued to letters is part of an identifier (a UUID's hex
		// group, a hash), not a phone number.
		if loc[0] > 0 && isAlnum(s[loc[0]-1]) || loc[1] < len(s) && isAlnum(s[loc[1]]) {
			continue
		}
		m := s[loc[0]:loc[1]]
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' || r == '+' {
				return r
			}
			return -1
		}, m)
		d := strings.TrimPrefix(digits, "+")
		if len(d) < 7 || len(d) > 15 {
			continue
		}
		b.WriteString(s[last:loc[0]])
		b.WriteString(MaskPhone(digits))
		last = loc[1]
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// hasDigitRun is a cheap pre-check so log lines without numbers skip the regexp.
func hasDigitRun(s string) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			if run++; run >= 7 {
				return true
			}
		} else if s[i] != ' ' && s[i] != '-' {
			run = 0
		}
	}
	return false
}

// Handler is a slog.Handler that masks phone numbers in the message and in
// every string attribute before passing the record on.
type Handler struct{ next slog.Handler }

// NewHandler wraps next with masking.
func NewHandler(next slog.Handler) *Handler { return &Handler{next: next} }

func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, MaskText(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(maskAttr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	masked := make([]slog.Attr, len(as))
	for i, a := range as {
		masked[i] = maskAttr(a)
	}
	return &Handler{next: h.next.WithAttrs(masked)}
}

func (h *Handler) WithGroup(name string) slog.Handler { return &Handler{next: h.next.WithGroup(name)} }

func maskAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, MaskText(v.String()))
	case slog.KindGroup:
		g := v.Group()
		out := make([]any, len(g))
		for i, x := range g {
			out[i] = maskAttr(x)
		}
		return slog.Group(a.Key, out...)
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return slog.String(a.Key, MaskText(err.Error()))
		}
		if s, ok := v.Any().(interface{ String() string }); ok {
			return slog.String(a.Key, MaskText(s.String()))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
