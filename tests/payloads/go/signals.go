// signals.go: Go programs depend on signal delivery: os/signal notifications of a signal the
// process sends itself, a SIGSEGV turned into a recoverable panic, and the garbage collector
// stopping a goroutine that spins without function calls, which only asynchronous preemption
// (SIGURG, whose handler rewrites the interrupted context) can do.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

var sink uint64

func spin(stop *int32) {
	x := uint64(1)
	for atomic.LoadInt32(stop) == 0 {
		for i := 0; i < 1000000; i++ { // no calls: no cooperative preemption point
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	atomic.StoreUint64(&sink, x)
}

func main() {
	runtime.GOMAXPROCS(2)

	ch := make(chan os.Signal, 4)
	signal.Notify(ch, syscall.SIGUSR1, syscall.SIGUSR2)
	syscall.Kill(os.Getpid(), syscall.SIGUSR1)
	fmt.Println("notified:", <-ch)
	syscall.Kill(os.Getpid(), syscall.SIGUSR2)
	fmt.Println("notified:", <-ch)
	signal.Stop(ch)

	debug.SetPanicOnFault(true)
	func() {
		defer func() { fmt.Println("recovered from a fault:", recover() != nil) }()
		p := (*int)(unsafe.Pointer(uintptr(0x1000)))
		fmt.Println(*p)
	}()

	var stop int32
	done := make(chan bool)
	go func() { spin(&stop); done <- true }()
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	for i := 0; i < 5; i++ {
		runtime.GC() // stops the world: the spinning goroutine must be preempted
	}
	fmt.Println("GC with a spinning goroutine finished:", time.Since(start) < 20*time.Second)
	atomic.StoreInt32(&stop, 1)
	<-done
	fmt.Println("done")
}
