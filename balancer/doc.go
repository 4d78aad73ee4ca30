// Package balancer orders the channels that can take a request, best first.
//
// The router hands a [Balancer] the candidates that survived filtering (model,
// breaker, rate limit) as a slice of [Candidate]; the balancer reorders the
// slice in place and the router tries the candidates in that order, falling
// over to the next one when an attempt fails. Because the router calls Order
// on every request, the strategies here allocate nothing per call.
//
// Strategies that learn from traffic ([LeastUsed], [Latency]) implement the
// optional [Observer] interface; the router finds it by type assertion and
// reports the start and end of every upstream attempt. Strategies that keep
// state per channel implement [Forgetter], so the router can drop that state
// when a channel is removed.
//
// This package does not import routex; it sees channels only through
// [Candidate], so a custom strategy can be written and tested on its own.
package balancer
