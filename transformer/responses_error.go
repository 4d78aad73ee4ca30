package transformer

// decodeError reads a Responses API error body: the same
// {"error":{"message","type","param","code"}} as Chat's.
func (responsesCodec) decodeError(status int, body []byte) formError {
	return readErrorBody(status, body, false, true)
}

// appendError writes a Responses API error body, the shape openai-go's
// Responses client reads: Chat's, Anthropic's 529 as 503.
func (responsesCodec) appendError(dst []byte, e formError) ([]byte, int) {
	return appendOpenAIError(dst, e)
}
