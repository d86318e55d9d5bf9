//go:build race

package awslambda_test

const raceEnabled = true
