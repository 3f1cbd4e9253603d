package main

func answer() int { return 6 * 7 }
