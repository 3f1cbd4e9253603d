package main

// defaultCommand runs when pretrain is started with no command.
const defaultCommand = "train"
