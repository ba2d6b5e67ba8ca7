package dialog

import "testing"

func TestNormalize(t *testing.T) {
	cases := []struct{ in, want string }{
		{"嗯，好的！", "好的"},
		{"嗯嗯", "嗯"},
		{"ＡＢＣ，１２３", "abc 123"},
		{"我 不 需要。", "我不需要"},
		{"三千五百块", "3500块"},
		{"三千五", "3500"},
		{"十五号", "15号"},
		{"一万二", "12000"},
		{"两百五十元", "250元"},
		{"一三八零零一三八零零零", "13800138000"},
		{"我考虑一下", "我考虑一下"},
		{"二零二四年", "2024年"},
		{"Um, I'm NOT interested.", "im not interested"},
		{"呃……那个，你是谁啊？", "那个你是谁"},
		{"", ""},
		{"Call me LATER, ok?", "call me later ok"},
		{"我在开会，\u3000晚点再说", "我在开会晚点再说"},
	}
	for _, c := range cases {
		if got := Normalize(c.in); got != c.want {
			t.Errorf("Normalize(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
