package memory_test

import (
	"testing"

	"github.com/routex/routex/storage/memory"
	"github.com/routex/routex/storage/sharedtest"
)

func TestSharedConformance(t *testing.T) {
	sharedtest.Run(t, func(t *testing.T) (a, b sharedtest.Instance) {
		s := memory.NewShared()
		return s.Instance(), s.Instance()
	})
}
