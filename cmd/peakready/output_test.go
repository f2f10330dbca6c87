package main

import (
	"bytes"
	"strings"
	"sync"
)

// lineOutput is a stdout or stderr that a test reads while a long-running command
// writes it: it keeps everything, and hands complete lines to lines without ever
// blocking the writer (lines beyond 100 unread ones are kept only in the buffer).
type lineOutput struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	part  string
	lines chan string
}

func newLineOutput() *lineOutput { return &lineOutput{lines: make(chan string, 100)} }

func (o *lineOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf.Write(p)
	o.part += string(p)
	for {
		i := strings.IndexByte(o.part, '\n')
		if i < 0 {
			break
		}
		select {
		case o.lines <- o.part[:i]:
		default:
		}
		o.part = o.part[i+1:]
	}
	return len(p), nil
}

func (o *lineOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}
