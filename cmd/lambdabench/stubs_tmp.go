package main

func cmdEngine(args []string) error { return nil }
func cmdIngest(args []string) error { return nil }
func cmdLambda(args []string) error { return nil }
