package main

import (
	"bytes"
	"os"
	"strconv"
	"strings"
)

// proc reads a process's memory and CPU time from /proc.
type proc struct{ pid int }

// status returns the fields of /proc/<pid>/status named (in KiB), or 0
// for those it cannot read.
func (p proc) status(names ...string) []int64 {
	out := make([]int64, len(names))
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.pid) + "/status")
	if err != nil {
		return out
	}
	for line := range bytes.Lines(b) {
		for i, n := range names {
			if v, ok := bytes.CutPrefix(line, []byte(n+":")); ok {
				f := strings.Fields(string(v))
				if len(f) > 0 {
					out[i], _ = strconv.ParseInt(f[0], 10, 64)
				}
			}
		}
	}
	return out
}

// rss returns the resident set now, in KiB.
func (p proc) rss() int64 { return p.status("VmRSS")[0] }

// peak returns the high-water mark of the resident set, in KiB.
func (p proc) peak() int64 { return p.status("VmHWM")[0] }

// resetPeak starts the high-water mark afresh from the current resident
// set (Linux 4.0 and later); it reports whether the kernel accepted.
func (p proc) resetPeak() bool {
	return os.WriteFile("/proc/"+strconv.Itoa(p.pid)+"/clear_refs", []byte("5"), 0) == nil
}

// clockTicks is USER_HZ, which is 100 on every Linux that Go supports
// outside of alpha and ia64.
const clockTicks = 100

// cpu returns the user and system time the process has used, in seconds.
func (p proc) cpu() float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name may hold spaces; the fields start after its ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	// utime and stime are fields 14 and 15 of stat, 12 and 13 after ')'.
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return float64(u+s) / clockTicks
}

// machineBusy returns the CPU time all processes have used, in seconds
// summed over the cores, from /proc/stat.
func machineBusy() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	var busy int64
	// user nice system idle iowait irq softirq steal: all but idle and iowait.
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		v, _ := strconv.ParseInt(f[i], 10, 64)
		busy += v
	}
	return float64(busy) / clockTicks
}
