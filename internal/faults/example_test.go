package faults_test

import (
	"bufio"
	"fmt"
	"net"

	"github.com/anyfunc/anyfunc/internal/faults"
)

// A proxy in front of a server passes a request, then drops the answer to
// the next one after the server got it.
func ExampleProxy() {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	defer ln.Close()
	received := make(chan string, 2)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		sc := bufio.NewScanner(c)
		for sc.Scan() {
			received <- sc.Text()
			fmt.Fprintln(c, "done:", sc.Text())
		}
	}()

	p, _ := faults.NewProxy(ln.Addr().String())
	defer p.Close()
	c, _ := net.Dial("tcp", p.Addr())
	defer c.Close()
	r := bufio.NewReader(c)

	fmt.Fprintln(c, "pay 10")
	answer, _ := r.ReadString('\n')
	fmt.Print("client got: ", answer)

	p.Set(faults.DropAnswer)
	fmt.Fprintln(c, "pay 20")
	_, err := r.ReadString('\n')
	fmt.Println("client got an answer:", err == nil)
	fmt.Println("server got:", <-received, "and", <-received)
	fmt.Println("answers dropped:", p.Stats().Dropped)
	// Output:
	// client got: done: pay 10
	// client got an answer: false
	// server got: pay 10 and pay 20
	// answers dropped: 1
}
