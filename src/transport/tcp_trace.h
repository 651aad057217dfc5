/*
 * transport/tcp_trace.h — the per-connection trace hook (tern_tcp_set_trace
 * in tern/tcp.h), as the TCP files call it.
 *
 * Each hook is one line in tcp_input.c / tcp_output.c / tcp_conn.c /
 * tcp_undo.c and
 * costs one predictable branch while the connection has no trace
 * (tp->trace NULL). With one, the out-of-line half in tcp_trace.c builds
 * the event; before each event it reports what changed since the last one
 * (state, ssthresh, cwnd, srtt/rttvar, in that order), so changes made
 * anywhere (congestion control, RTT samples, timers) show up in the order
 * they happened relative to the segments around them.
 */
#ifndef TERN_TRANSPORT_TCP_TRACE_H
#define TERN_TRANSPORT_TCP_TRACE_H

#include "core/stack_impl.h"
#include "tern/tcp.h"
#include "transport/sock.h"
#include "transport/tcp.h"

struct tcp_trace {
	tern_tcp_trace_fn fn;
	void *ctx;
	bool own;                  /* set on this connection's socket (not stack-wide) */
	/* what the last event reported */
	uint8_t state;
	uint32_t cwnd, ssthresh;
	tern_time_t srtt, rttvar;
	uint16_t mss;              /* t_maxseg once established (0: not yet) */
	uint8_t ca;                /* the reduction's state (tcp_ca_state, or 0) */
};

void tcp_trace_xmit_(struct tern_stack *s, struct tern_tcb *tp, const struct tern_tcp_repr *th,
		     uint32_t len, tern_time_t now);
void tcp_trace_ack_(struct tern_stack *s, struct tern_tcb *tp, const struct tern_tcp_repr *th,
		    tern_time_t now);
void tcp_trace_sync_(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now);
void tcp_trace_undo_(struct tern_stack *s, struct tern_tcb *tp, uint8_t undo, tern_time_t now);
void tcp_trace_new_(struct tern_stack *s, struct tern_tcb *tp);
void tcp_trace_inherit_(struct tern_tcb *tp, const struct tern_tcb *lp);
void tcp_trace_free_(struct tern_tcb *tp);

/* A segment is about to leave (th built, len payload bytes). Call it
 * before snd_max moves past the segment, so a resend tells itself apart. */
static inline void tcp_trace_xmit(struct tern_stack *s, struct tern_tcb *tp,
				  const struct tern_tcp_repr *th, uint32_t len, tern_time_t now)
{
	if (__builtin_expect(tp->trace != NULL, 0))
		tcp_trace_xmit_(s, tp, th, len, now);
}

/* An acceptable ACK arrived, before tern acts on it. */
static inline void tcp_trace_ack(struct tern_stack *s, struct tern_tcb *tp,
				 const struct tern_tcp_repr *th, tern_time_t now)
{
	if (__builtin_expect(tp->trace != NULL, 0))
		tcp_trace_ack_(s, tp, th, now);
}

/* Report what changed (state, windows, RTT) since the last event. */
static inline void tcp_trace_sync(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now)
{
	if (__builtin_expect(tp->trace != NULL, 0))
		tcp_trace_sync_(s, tp, now);
}

/* A reduction was undone (undo: enum tern_tcp_undo), cwnd and ssthresh
 * already restored (tcp_undo.c). */
void tcp_trace_fastopen_(struct tern_stack *s, struct tern_tcb *tp, uint8_t what, uint32_t len,
			 tern_time_t now);
static inline void tcp_trace_fastopen(struct tern_stack *s, struct tern_tcb *tp, uint8_t what,
				      uint32_t len, tern_time_t now)
{
	if (__builtin_expect(tp->trace != NULL, 0))
		tcp_trace_fastopen_(s, tp, what, len, now);
}
static inline void tcp_trace_undo(struct tern_stack *s, struct tern_tcb *tp, uint8_t undo,
				  tern_time_t now)
{
	if (__builtin_expect(tp->trace != NULL, 0))
		tcp_trace_undo_(s, tp, undo, now);
}

/* A new tcb: the stack-wide trace, if any, follows it. */
static inline void tcp_trace_new(struct tern_stack *s, struct tern_tcb *tp)
{
	if (__builtin_expect(s->socks->tcp.trace_fn != NULL, 0))
		tcp_trace_new_(s, tp);
}

/* A connection made by listener lp takes the listener's own trace. */
static inline void tcp_trace_inherit(struct tern_tcb *tp, const struct tern_tcb *lp)
{
	if (__builtin_expect(lp->trace != NULL, 0))
		tcp_trace_inherit_(tp, lp);
}

static inline void tcp_trace_free(struct tern_tcb *tp)
{
	if (__builtin_expect(tp->trace != NULL, 0))
		tcp_trace_free_(tp);
}

#endif
