package enum

import "testing"

type color int

var names = []string{"red", "green"}

func TestRoundTrip(t *testing.T) {
	for i, name := range names {
		b, err := Marshal(color(i), names, "pkg")
		if err != nil || string(b) != name || String(color(i), names) != name {
			t.Fatalf("%d: %q, %v, %q", i, b, err, String(color(i), names))
		}
		var c color
		if err := Unmarshal(&c, b, names, "pkg"); err != nil || c != color(i) {
			t.Fatalf("%q: %d, %v", b, c, err)
		}
	}
	if String(color(7), names) != "state(7)" {
		t.Error(String(color(7), names))
	}
	if _, err := Marshal(color(-1), names, "pkg"); err == nil || err.Error() != "pkg: invalid state -1" {
		t.Errorf("Marshal(-1): %v", err)
	}
	var c color
	if err := Unmarshal(&c, []byte("blue"), names, "pkg"); err == nil || err.Error() != `pkg: unknown state "blue"` {
		t.Errorf("Unmarshal(blue): %v", err)
	}
}
