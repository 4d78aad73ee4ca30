// Package routex routes AI API traffic in process.
//
// A *Client is an http.RoundTripper. Put it in an http.Client, or hand that
// client to an official SDK, and every request to the Anthropic Messages,
// OpenAI Chat Completions, OpenAI Responses or Google Gemini API
// (models/{model}:generateContent, the model read from the path) is:
//
//   - matched against routing rules (model, keywords, token count, tools,
//     images, thinking, web search, headers, Go matchers), highest priority
//     first;
//   - sent to a channel chosen by a balancer (priority, round_robin,
//     weighted, least_used, latency), staying on a session's channel while
//     it works;
//   - kept away from channels whose circuit breaker is open, that are
//     cooling down after a rate limit or over one of their quotas (Limit),
//     and tried last on channels whose provider says a rate limit is nearly
//     used up;
//   - retried and failed over to the next channel on connection errors,
//     timeouts and 408/409/429/5xx/529 answers, until a byte reaches the
//     caller;
//   - converted to the channel's wire format (Channel.Type: FormatAnthropic,
//     FormatOpenAI, FormatResponses, FormatGemini) and its answer back to the
//     caller's,
//     streams event by event, when the two differ;
//   - streamed through event by event, with its token usage read from the
//     upstream's own report;
//   - recorded as one analytics.Record, asynchronously.
//
// The host the SDK aims at is ignored: channels decide where requests go.
//
//	c, err := routex.New(routex.WithChannels(
//		routex.Channel{ID: "anthropic", Type: routex.FormatAnthropic,
//			BaseURL: "https://api.anthropic.com", APIKey: os.Getenv("ANTHROPIC_API_KEY")},
//	))
//	...
//	client := anthropic.NewClient(option.WithHTTPClient(c.HTTPClient()))
//
// Channels authenticate with an API key, or with an OAuth token kept fresh
// by an Authorizer (package oauth provides one), so that several accounts
// of one provider serve as a pool.
//
// Configuration lives in an immutable snapshot: SetChannels, SetRules,
// SetStrategy and writes to the Client's Store take effect on the next
// request, with no locks on the request path. Explain answers which rule
// and channels a request would take, without sending it.
package routex
