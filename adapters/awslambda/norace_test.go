//go:build !race

package awslambda_test

const raceEnabled = false
