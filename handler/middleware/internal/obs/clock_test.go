package obs

import (
	"testing"
	"time"
)

// Clock readings go forward, and ClockAt places a time.Now between the
// readings taken before and after it.
func TestClock(t *testing.T) {
	for range 1000 {
		before := Clock()
		now := time.Now()
		after := Clock()
		if at := ClockAt(now); at < before || at > after {
			t.Fatalf("ClockAt(now) = %v, not within [%v, %v]", at, before, after)
		}
	}
	if c := Clock(); c < 0 {
		t.Errorf("Clock() = %v", c)
	}
}
