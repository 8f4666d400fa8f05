package main

import (
	"sync/atomic"
	"time"
)

// clockShift moves the clock of the send pipeline and of the embedded sandbox forward (ns). Only
// a browser test sets it: WeChat publishes a day's reading statistics the next morning, so a
// journey that wants to see them lets two days pass. Sessions and cookies keep the real clock.
var clockShift atomic.Int64

// appNow is the clock models and the embedded sandbox read.
func appNow() time.Time { return time.Now().Add(time.Duration(clockShift.Load())) }
