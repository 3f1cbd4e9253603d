package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Println("args", os.Args[1:], "answer", answer(), "env", os.Getenv("GREETING"), "home", os.Getenv("HOME") == "")
	if len(os.Args) > 1 && os.Args[1] == "fail" {
		os.Exit(3)
	}
}
