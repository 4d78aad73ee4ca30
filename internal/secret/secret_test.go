package secret

import "testing"

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"short", "****"},
		{"123456789012", "****"},
		{"sk-0123456789abcdef", "****cdef"},
	} {
		if got := Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestScrub(t *testing.T) {
	const key = "sk-0123456789abcdef"
	for _, tc := range []struct {
		name    string
		in      string
		secrets []string
		want    string
	}{
		{"no secrets", "dial tcp: refused", nil, "dial tcp: refused"},
		{"every occurrence", "bad key " + key + ", again " + key, []string{key}, "bad key ****cdef, again ****cdef"},
		{"several secrets", "a=" + key + " b=tok-abcdef", []string{key, "tok-abcdef"}, "a=****cdef b=****"},
		{"absent secret", "nothing here", []string{key}, "nothing here"},
		{"empty secret", "text", []string{""}, "text"},
		{"under six is left alone", "code abcde in text", []string{"abcde"}, "code abcde in text"},
		{"six is masked", "code abcdef in text", []string{"abcdef"}, "code **** in text"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Scrub(tc.in, tc.secrets...); got != tc.want {
				t.Errorf("Scrub(%q, %q) = %q, want %q", tc.in, tc.secrets, got, tc.want)
			}
		})
	}
}
