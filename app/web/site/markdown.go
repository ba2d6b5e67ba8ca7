package site

import (
	"html"
	"html/template"
	"regexp"
	"strings"
)

// Markdown renders the small subset of Markdown help documents use:
// headings, paragraphs, bullet and numbered lists, fenced code, bold,
// italics, inline code and links. All text is HTML-escaped first and raw
// HTML is never passed through, so a document cannot inject markup or
// script; link targets are limited to http(s), mailto, site paths and anchors.
func Markdown(src string) template.HTML {
	var b strings.Builder
	lines := strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
	var para []string
	list := "" // "ul" or "ol" while inside a list
	flushPara := func() {
		if len(para) > 0 {
			b.WriteString("<p>" + inline(strings.Join(para, " ")) + "</p>\n")
			para = nil
		}
	}
	closeList := func() {
		if list != "" {
			b.WriteString("</" + list + ">\n")
			list = ""
		}
	}
	for i := 0; i < len(lines); i++ {
		line := strings.TrimRight(lines[i], " \t")
		trim := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trim, "```"):
			flushPara()
			closeList()
			b.WriteString("<pre><code>")
			for i++; i < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[i]), "```"); i++ {
				b.WriteString(html.EscapeString(lines[i]) + "\n")
			}
			b.WriteString("</code></pre>\n")
		case trim == "":
			flushPara()
			closeList()
		case headingRE.MatchString(trim):
			flushPara()
			closeList()
			m := headingRE.FindStringSubmatch(trim)
			// Level 1 in a document renders as h2: the page owns the h1.
			lvl := min(len(m[1])+1, 6)
			tag := "h" + string(rune('0'+lvl))
			b.WriteString("<" + tag + ">" + inline(m[2]) + "</" + tag + ">\n")
		case bulletRE.MatchString(trim) || orderedRE.MatchString(trim):
			flushPara()
			want, re := "ul", bulletRE
			if orderedRE.MatchString(trim) {
				want, re = "ol", orderedRE
			}
			if list != want {
				closeList()
				b.WriteString("<" + want + ">\n")
				list = want
			}
			b.WriteString("<li>" + inline(re.ReplaceAllString(trim, "")) + "</li>\n")
		default:
			closeList()
			para = append(para, trim)
		}
	}
	flushPara()
	closeList()
	return template.HTML(b.String()) //nolint:gosec // every piece of text above went through html.EscapeString
}

var (
	headingRE = regexp.MustCompile(`^(#{1,6})\s+(.*)$`)
	bulletRE  = regexp.MustCompile(`^[-*+]\s+`)
	orderedRE = regexp.MustCompile(`^\d{1,3}[.)]\s+`)
	codeRE    = regexp.MustCompile("`([^`]+)`")
	boldRE    = regexp.MustCompile(`\*\*([^*]+)\*\*`)
	emRE      = regexp.MustCompile(`\*([^*]+)\*`)
	linkRE    = regexp.MustCompile(`\[([^\]]+)\]\(([^)\s]+)\)`)
)

func safeURL(u string) bool {
	l := strings.ToLower(u)
	return strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "mailto:") ||
		(strings.HasPrefix(u, "/") && !strings.HasPrefix(u, "//")) || strings.HasPrefix(u, "#")
}

// inline escapes text and then applies inline formatting to the escaped form.
func inline(s string) string {
	s = html.EscapeString(s)
	var codes []string
	s = codeRE.ReplaceAllStringFunc(s, func(m string) string {
		codes = append(codes, "<code>"+codeRE.FindStringSubmatch(m)[1]+"</code>")
		return "\x00" + string(rune('a'+len(codes)-1)) + "\x00"
	})
	s = linkRE.ReplaceAllStringFunc(s, func(m string) string {
		p := linkRE.FindStringSubmatch(m)
		if !safeURL(html.UnescapeString(p[2])) {
			return p[1]
		}
		return `<a href="` + p[2] + `">` + p[1] + `</a>`
	})
	s = boldRE.ReplaceAllString(s, "<strong>$1</strong>")
	s = emRE.ReplaceAllString(s, "<em>$1</em>")
	for i, c := range codes {
		s = strings.Replace(s, "\x00"+string(rune('a'+i))+"\x00", c, 1)
	}
	return s
}
