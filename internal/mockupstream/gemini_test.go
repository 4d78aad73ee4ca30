package mockupstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/genai"
)

// geminiClient is Google's own client pointed at the mock.
func geminiClient(t *testing.T, s *Server, version string) *genai.Client {
	t.Helper()
	cl, err := genai.NewClient(context.Background(), &genai.ClientConfig{
		APIKey: "k", Backend: genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: s.URL, APIVersion: version},
	})
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// geminiMock answers with thinking, text and two calls.
func geminiMock(t *testing.T) *Server {
	s := New("gem")
	t.Cleanup(s.Close)
	s.Thinking = "Both cities."
	s.Text = "Checking the weather."
	s.Tools = []ToolCall{{ID: "call_1", Name: "get_weather", Args: `{"city":"Paris","days":[1,2]}`}, {ID: "call_2", Name: "get_time", Args: `{"city":"Oslo"}`}}
	return s
}

// checkGeminiTurn checks the text, thought, calls and usage of a whole
// answer, or of a stream's chunks put together.
func checkGeminiTurn(t *testing.T, thought, text string, calls []*genai.FunctionCall, sigs [][]byte, last *genai.GenerateContentResponse) {
	t.Helper()
	if thought != "Both cities." || text != "Checking the weather." {
		t.Errorf("thought %q, text %q", thought, text)
	}
	if len(calls) != 2 || calls[0].Name != "get_weather" || calls[1].Name != "get_time" || calls[0].ID != "" {
		t.Fatalf("calls %+v", calls)
	}
	if city, _ := calls[0].Args["city"].(string); city != "Paris" || len(calls[1].Args) != 1 {
		t.Errorf("args %v, %v", calls[0].Args, calls[1].Args)
	}
	if len(sigs) != 2 || string(sigs[0]) != "sig-get_weather" || sigs[1] != nil {
		t.Errorf("thought signatures %q, want one on the first call", sigs)
	}
	cand := last.Candidates[0]
	if cand.FinishReason != genai.FinishReasonStop || cand.Content.Role != "model" {
		t.Errorf("finishReason %q, role %q", cand.FinishReason, cand.Content.Role)
	}
	u := last.UsageMetadata
	// Usage{Input: 12, Output: 7, CacheRead: 30, Reasoning: 3}
	if u == nil || u.PromptTokenCount != 42 || u.CachedContentTokenCount != 30 || u.CandidatesTokenCount != 4 ||
		u.ThoughtsTokenCount != 3 || u.TotalTokenCount != 49 {
		t.Errorf("usage %+v", u)
	}
	if last.ModelVersion != "gemini-2.5-pro" || last.ResponseID == "" {
		t.Errorf("modelVersion %q, responseId %q", last.ModelVersion, last.ResponseID)
	}
}

func TestGeminiGenAI(t *testing.T) {
	for _, version := range []string{"v1beta", "v1"} {
		t.Run(version+"/generateContent", func(t *testing.T) {
			s := geminiMock(t)
			resp, err := geminiClient(t, s, version).Models.GenerateContent(context.Background(), "gemini-2.5-pro", genai.Text("weather?"), nil)
			if err != nil {
				t.Fatal(err)
			}
			var thought, text string
			var sigs [][]byte
			for _, p := range resp.Candidates[0].Content.Parts {
				switch {
				case p.Thought:
					thought += p.Text
				case p.FunctionCall != nil:
					sigs = append(sigs, p.ThoughtSignature)
				default:
					text += p.Text
				}
			}
			checkGeminiTurn(t, thought, text, resp.FunctionCalls(), sigs, resp)
			if r := s.Last(); r.Path != "/"+version+"/models/gemini-2.5-pro:generateContent" || r.Header.Get("X-Goog-Api-Key") != "k" {
				t.Errorf("request %s, key %q", r.Path, r.Header.Get("X-Goog-Api-Key"))
			}
		})
		t.Run(version+"/streamGenerateContent", func(t *testing.T) {
			s := geminiMock(t)
			var thought, text string
			var calls []*genai.FunctionCall
			var sigs [][]byte
			var last *genai.GenerateContentResponse
			chunks, prevOut := 0, int32(-1)
			for resp, err := range geminiClient(t, s, version).Models.GenerateContentStream(context.Background(), "gemini-2.5-pro", genai.Text("weather?"), nil) {
				if err != nil {
					t.Fatal(err)
				}
				chunks++
				cand := resp.Candidates[0]
				if last != nil && last.Candidates[0].FinishReason != "" {
					t.Errorf("chunk after finishReason %q", last.Candidates[0].FinishReason)
				}
				if u := resp.UsageMetadata; u == nil || u.PromptTokenCount != 42 || u.CandidatesTokenCount < prevOut {
					t.Errorf("chunk %d usage %+v, want it cumulative", chunks, u)
				} else {
					prevOut = u.CandidatesTokenCount
				}
				for _, p := range cand.Content.Parts {
					switch {
					case p.Thought:
						thought += p.Text
					case p.FunctionCall != nil:
						calls = append(calls, p.FunctionCall)
						sigs = append(sigs, p.ThoughtSignature)
					default:
						text += p.Text
					}
				}
				last = resp
			}
			if chunks < 4 {
				t.Errorf("%d chunks, want the answer in several", chunks)
			}
			checkGeminiTurn(t, thought, text, calls, sigs, last)
			if r := s.Last(); r.Path != "/"+version+"/models/gemini-2.5-pro:streamGenerateContent" || r.Query != "alt=sse" {
				t.Errorf("request %s?%s", r.Path, r.Query)
			}
		})
	}
}

func TestGeminiGenAIFailures(t *testing.T) {
	ctx := context.Background()
	t.Run("status", func(t *testing.T) {
		for code, status := range map[int]string{429: "RESOURCE_EXHAUSTED", 503: "UNAVAILABLE", 400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 404: "NOT_FOUND"} {
			s := New("gem")
			s.Always(Behavior{Status: code})
			_, err := geminiClient(t, s, "v1beta").Models.GenerateContent(ctx, "gemini-2.5-flash", genai.Text("hi"), nil)
			var api genai.APIError
			if !errors.As(err, &api) || api.Code != code || api.Status != status || api.Message != fmt.Sprintf("mock gem status %d", code) {
				t.Errorf("%d: %v", code, err)
			}
			s.Close()
		}
	})
	t.Run("error event", func(t *testing.T) {
		s := geminiMock(t)
		s.Always(Behavior{ErrorEvent: true})
		n := 0
		var last error
		for _, err := range geminiClient(t, s, "v1beta").Models.GenerateContentStream(ctx, "gemini-2.5-flash", genai.Text("hi"), nil) {
			if err != nil {
				last = err
				break
			}
			n++
		}
		var api genai.APIError
		if n != 1 || !errors.As(last, &api) || api.Status != "UNAVAILABLE" {
			t.Errorf("%d chunks, then %v", n, last)
		}
	})
	t.Run("cut", func(t *testing.T) {
		s := geminiMock(t)
		s.Always(Behavior{CutAfter: 3})
		n := 0
		for resp, err := range geminiClient(t, s, "v1beta").Models.GenerateContentStream(ctx, "gemini-2.5-flash", genai.Text("hi"), nil) {
			if err != nil {
				t.Fatal(err)
			}
			if resp.Candidates[0].FinishReason != "" {
				t.Errorf("finishReason %q in a cut stream", resp.Candidates[0].FinishReason)
			}
			n++
		}
		if n != 3 {
			t.Errorf("%d chunks, want 3", n)
		}
	})
	t.Run("countTokens", func(t *testing.T) {
		s := geminiMock(t)
		cl := geminiClient(t, s, "v1beta")
		var api genai.APIError
		if _, err := cl.Models.CountTokens(ctx, "gemini-2.5-flash", genai.Text("hi"), nil); !errors.As(err, &api) || api.Code != 404 {
			t.Errorf("no TokenCount: %v, want 404", err)
		}
		s.TokenCount = 55
		if resp, err := cl.Models.CountTokens(ctx, "gemini-2.5-flash", genai.Text("hi"), nil); err != nil || resp.TotalTokens != 55 {
			t.Errorf("countTokens = %+v, %v", resp, err)
		}
	})
}

// Without alt=sse the stream is one JSON array, each element sent as it
// comes, framed as Google frames it.
func TestGeminiJSONArray(t *testing.T) {
	s := geminiMock(t)
	s.Thinking = ""
	resp, err := http.Post(s.URL+"/v1beta/models/gemini-2.5-pro:streamGenerateContent", "application/json", strings.NewReader(`{"contents":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if !strings.HasPrefix(string(body), "[{") || !strings.Contains(string(body), "}\n,\r\n{") || !strings.HasSuffix(string(body), "}\n]") {
		t.Errorf("framing: %q", body)
	}
	var chunks []struct {
		Candidates []struct {
			Content struct {
				Parts []json.RawMessage
			}
			FinishReason string
		}
		UsageMetadata struct{ CandidatesTokenCount int }
	}
	if err := json.Unmarshal(body, &chunks); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	// Three words, then the two calls with finishReason.
	if len(chunks) != 4 || chunks[3].Candidates[0].FinishReason != "STOP" || len(chunks[3].Candidates[0].Content.Parts) != 2 ||
		chunks[3].UsageMetadata.CandidatesTokenCount != 7 || chunks[0].Candidates[0].FinishReason != "" {
		t.Errorf("chunks: %s", body)
	}

	s.Always(Behavior{CutAfter: 2})
	resp, err = http.Post(s.URL+"/v1beta/models/gemini-2.5-pro:streamGenerateContent", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.HasSuffix(string(body), "]") || strings.Count(string(body), `"candidates"`) != 2 {
		t.Errorf("cut array: %q", body)
	}
}
