package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/waihu/waihu/app/dialog"
	"github.com/waihu/waihu/app/llm"
)

// stdin is a variable so tests can talk to `waihu script chat`.
var stdin io.Reader = os.Stdin

type varFlags map[string]string

func (v varFlags) String() string { return "" }
func (v varFlags) Set(s string) error {
	k, val, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want name=value, got %q", s)
	}
	v[k] = val
	return nil
}

// loadScript reads a script file, or a template by name when no such file
// exists.
func loadScript(arg string) (*dialog.Script, error) {
	data, err := os.ReadFile(arg)
	if err == nil {
		return dialog.Parse(data)
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	s, terr := dialog.Template(arg)
	if terr != nil {
		return nil, fmt.Errorf("%s: no such file, and %w", arg, terr)
	}
	return s, nil
}

func runScript(_ context.Context, args []string, stdout, stderr io.Writer) error {
	usage := "usage: waihu script check|chat|classify|export|templates FILE|TEMPLATE"
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return flag.ErrHelp
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("script "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	vars := varFlags{}
	fs.Var(vars, "var", "contact variable name=value (repeatable; chat)")
	asJSON := fs.Bool("json", false, "print the call result as JSON at the end (chat) or issues as JSON (check)")
	strict := fs.Bool("strict", false, "treat completeness warnings as errors (check)")
	llmURL := fs.String("llm-url", os.Getenv("WAIHU_LLM_URL"), "OpenAI-compatible API base URL for the LLM fallback and LLM nodes (chat, check), e.g. https://api.deepseek.com/v1")
	llmModel := fs.String("llm-model", os.Getenv("WAIHU_LLM_MODEL"), "chat model name")
	llmKey := fs.String("llm-key", os.Getenv("WAIHU_LLM_KEY"), "API key (prefer the WAIHU_LLM_KEY environment variable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if sub == "templates" {
		for _, t := range dialog.Templates() {
			fmt.Fprintf(stdout, "%-22s %-3s %s\n", t.Name, t.Lang, t.Title)
		}
		return nil
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, usage)
		return errors.New("one FILE or TEMPLATE is required")
	}
	s, err := loadScript(fs.Arg(0))
	if err != nil {
		return err
	}
	var opts []dialog.Option
	if *llmURL != "" {
		cl, err := llm.New(llm.Config{BaseURL: *llmURL, Model: *llmModel, APIKey: *llmKey})
		if err != nil {
			return err
		}
		opts = append(opts, dialog.WithClassifier(cl), dialog.WithChatModel(cl))
	}
	switch sub {
	case "check":
		return scriptCheck(s, stdout, *strict, *asJSON, opts...)
	case "chat":
		return scriptChat(s, vars, stdout, *asJSON, opts...)
	case "classify":
		return scriptClassify(s, stdout)
	case "export":
		_, err := stdout.Write(append(s.JSON(), '\n'))
		return err
	}
	fmt.Fprintln(stderr, usage)
	return fmt.Errorf("unknown subcommand %q", sub)
}

func scriptCheck(s *dialog.Script, w io.Writer, strict, asJSON bool, opts ...dialog.Option) error {
	issues := dialog.Validate(s)
	errs := dialog.Errors(issues)
	var tests []dialog.TestResult
	if len(errs) == 0 {
		tests = dialog.RunTests(s, opts...)
	}
	failed := 0
	for _, t := range tests {
		if !t.Passed {
			failed++
		}
	}
	if asJSON {
		type tr struct {
			Name     string   `json:"name"`
			Passed   bool     `json:"passed"`
			Failures []string `json:"failures,omitempty"`
		}
		out := struct {
			Issues []dialog.Issue `json:"issues"`
			Tests  []tr           `json:"tests"`
		}{Issues: issues}
		for _, t := range tests {
			out.Tests = append(out.Tests, tr{t.Name, t.Passed, t.Failures})
		}
		b, _ := json.MarshalIndent(out, "", "  ")
		fmt.Fprintln(w, string(b))
	} else {
		for _, i := range issues {
			fmt.Fprintln(w, i.String())
		}
		for _, t := range tests {
			if t.Passed {
				fmt.Fprintf(w, "ok   test %s\n", t.Name)
			} else {
				fmt.Fprintf(w, "FAIL test %s: %s\n", t.Name, strings.Join(t.Failures, "; "))
			}
		}
		fmt.Fprintf(w, "%s: %d nodes, %d errors, %d warnings, %d/%d tests passed\n", s.Name, len(s.Nodes), len(errs), len(issues)-len(errs), len(tests)-failed, len(tests))
	}
	switch {
	case len(errs) > 0:
		return fmt.Errorf("%d validation errors", len(errs))
	case failed > 0:
		return fmt.Errorf("%d script tests failed", failed)
	case strict && len(issues) > 0:
		return fmt.Errorf("%d warnings (strict)", len(issues))
	}
	return nil
}

func printActions(w io.Writer, acts []dialog.Action) {
	for _, a := range acts {
		switch a := a.(type) {
		case dialog.Say:
			fmt.Fprintf(w, "robot: %s\n", a.Text)
		case dialog.Hangup:
			if a.Text != "" {
				fmt.Fprintf(w, "robot: %s\n", a.Text)
			}
			fmt.Fprintf(w, "[hangup] %s\n", a.Reason)
		case dialog.Transfer:
			fmt.Fprintf(w, "[transfer to %s]\n", a.Target)
		case dialog.CollectDTMF:
			fmt.Fprintf(w, "[keys: up to %d digits, type <dtmf:123>]\n", a.MaxDigits)
		case dialog.SetVar:
			fmt.Fprintf(w, "[set %s=%s]\n", a.Name, a.Value)
		}
	}
}

// scriptChat lets a person (or a test) play the callee: one line per turn;
// <silence>, <dtmf:1>, <hangup> simulate events.
func scriptChat(s *dialog.Script, vars map[string]string, w io.Writer, asJSON bool, opts ...dialog.Option) error {
	if len(dialog.Errors(dialog.Validate(s))) > 0 {
		return errors.New("script has validation errors: run waihu script check")
	}
	call := dialog.NewCall(s, vars, opts...)
	printActions(w, call.Start())
	sc := bufio.NewScanner(stdin)
	for !call.Ended() && sc.Scan() {
		line := sc.Text()
		if !asJSON {
			fmt.Fprintf(w, "you: %s\n", line)
		}
		printActions(w, call.Reply(line))
	}
	r := call.Result()
	if asJSON {
		b, _ := json.Marshal(r)
		fmt.Fprintln(w, string(b))
		return sc.Err()
	}
	fmt.Fprintf(w, "-- grade %s, tags [%s], path %s, end %s\n", r.Grade, strings.Join(r.Tags, ","), strings.Join(r.Path, "→"), r.End)
	return sc.Err()
}

func scriptClassify(s *dialog.Script, w io.Writer) error {
	cs, err := dialog.Compile(s)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	sc := bufio.NewScanner(stdin)
	for sc.Scan() {
		text := sc.Text()
		if strings.TrimSpace(text) == "" {
			continue
		}
		m := cs.Matcher.Classify(text)
		if err := enc.Encode(struct {
			Text       string  `json:"text"`
			Intent     string  `json:"intent"`
			Confidence float64 `json:"confidence"`
		}{text, m.Intent, float64(int(m.Confidence*1000)) / 1000}); err != nil {
			return err
		}
	}
	return sc.Err()
}
