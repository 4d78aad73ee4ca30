// Package enum gives small integer enums their text forms: String, and the
// encoding.TextMarshaler pair, from one table of names.
package enum

import (
	"errors"
	"strconv"
)

// String returns names[v], or "state(v)" for a value outside the table.
func String[T ~int](v T, names []string) string {
	if v >= 0 && int(v) < len(names) {
		return names[v]
	}
	return "state(" + strconv.Itoa(int(v)) + ")"
}

// Marshal returns names[v]; a value outside the table is an error naming
// pkg.
func Marshal[T ~int](v T, names []string, pkg string) ([]byte, error) {
	if v < 0 || int(v) >= len(names) {
		return nil, errors.New(pkg + ": invalid state " + strconv.Itoa(int(v)))
	}
	return []byte(names[v]), nil
}

// Unmarshal sets *v to the index of text in names; an unknown name is an
// error naming pkg.
func Unmarshal[T ~int](v *T, text []byte, names []string, pkg string) error {
	for i, name := range names {
		if string(text) == name {
			*v = T(i)
			return nil
		}
	}
	return errors.New(pkg + ": unknown state " + strconv.Quote(string(text)))
}
