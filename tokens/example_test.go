package tokens_test

import (
	"fmt"

	"github.com/routex/routex/tokens"
)

func ExampleEstimate() {
	body := []byte(`{"role": "user", "content": "What is the capital of France?"}`)
	fmt.Println(tokens.Estimate(body))
	// Output: 18
}

func ExampleEstimator() {
	var counter interface{ CountTokens([]byte) int } = tokens.Estimator{}
	fmt.Println(counter.CountTokens([]byte("The quick brown fox jumps over the lazy dog.")))
	// Output: 10
}
