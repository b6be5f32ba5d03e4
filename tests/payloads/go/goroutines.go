// goroutines.go: a Go program (static, CGO_ENABLED=0): goroutines on several threads,
// channels, a WaitGroup, a mutex, and enough allocation to run the garbage collector.
package main

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"sync"
)

func main() {
	runtime.GOMAXPROCS(4)
	var wg sync.WaitGroup
	var mu sync.Mutex
	results := make(chan int, 64)
	total := 0
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			sum := 0
			for i := 0; i < 2000; i++ {
				buf := make([]byte, 1024)
				buf[i%1024] = byte(g)
				sum += int(buf[i%1024])
			}
			mu.Lock()
			total += sum
			mu.Unlock()
			results <- g
		}(g)
	}
	wg.Wait()
	close(results)
	var got []int
	for r := range results {
		got = append(got, r)
	}
	sort.Ints(got)
	fmt.Println("goroutines finished:", len(got), "first", got[0], "last", got[len(got)-1])
	fmt.Println("total:", total)
	runtime.GC()
	fmt.Println("args:", len(os.Args)-1)
	os.Exit(3)
}
