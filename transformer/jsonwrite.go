package transformer

import (
	"strconv"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/routex/routex/internal/jsonx"
)

// appendStringValue appends a gjson string value. A string's Raw is already
// a valid literal, so it is copied as it is instead of being unescaped and
// escaped again; any other value is written as its string form.
func appendStringValue(dst []byte, v gjson.Result) []byte {
	if v.Type == gjson.String && len(v.Raw) >= 2 && v.Raw[0] == '"' {
		return append(dst, v.Raw...)
	}
	return jsonx.AppendString(dst, v.String())
}

// appendStringBody appends the escaped body of a gjson string value (its Raw
// without the quotes), for joining several values into one literal.
func appendStringBody(dst []byte, v gjson.Result) []byte {
	if v.Type == gjson.String && len(v.Raw) >= 2 && v.Raw[0] == '"' {
		return append(dst, v.Raw[1:len(v.Raw)-1]...)
	}
	return jsonx.AppendEscaped(dst, v.String())
}

// hexDigits are the digits of \u escapes and of made-up ids.
const hexDigits = "0123456789abcdef"

// objectOrEmpty returns raw when it is a JSON object, else "{}": a tool's
// input must be an object on the Anthropic side, whatever arguments string
// an OpenAI model produced.
func objectOrEmpty(raw string) string {
	raw = strings.TrimSpace(raw)
	if len(raw) < 2 || raw[0] != '{' || !jsonx.Valid(raw) {
		return "{}"
	}
	return raw
}

// appendInt appends n in decimal.
func appendInt(dst []byte, n int64) []byte { return strconv.AppendInt(dst, n, 10) }
