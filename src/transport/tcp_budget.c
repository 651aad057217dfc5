/*
 * transport/tcp_budget.c — the stack's budget for TCP out-of-order data
 * (issue 7: no peer can make a tern host deaf).
 *
 * SO_RCVBUF bounds what one connection holds above a hole, but not what
 * many hold together: a peer that opens a hundred connections and fills
 * each window with segments above the next expected byte (cheap: one
 * byte per segment costs us a whole buffer) would take the receive
 * budget that every socket shares, and in-order TCP data and UDP
 * datagrams would be refused. So out-of-order data is charged twice:
 * to sock_rx, as all received data, and to tcp_ofo, a part of sock_rx
 * (tcp_ofo_total_bytes, 4 MiB, at most 1/8 of the pool). When tcp_ofo
 * is full, a segment that would wait out of order is refused (counted
 * as tcp.ofo_memory_limit; the sender resends it, RFC 9293 §3.10.7.4
 * lets a receiver drop what it cannot keep) while in-order data keeps
 * the rest of sock_rx. Linux's equivalent pressure response is
 * tcp_prune_ofo_queue under tcp_mem; tern refuses at the door instead,
 * which bounds the work per segment.
 */
#include "core/stack_impl.h"
#include "transport/sock.h"

bool tcp_ofo_admit(const struct tern_stack *s, const struct tern_pkt *p)
{
	return tern_budget_fits(&s->budget.tcp_ofo, tern_pkt_truesize(p));
}

void tcp_ofo_charge(struct tern_stack *s, struct tern_tcb *tp, const struct tern_pkt *p)
{
	size_t n = tern_pkt_truesize(p);
	tern_budget_charge(&s->budget.tcp_ofo, n);
	tp->ofo_charged += n;
}

void tcp_ofo_uncharge(struct tern_stack *s, struct tern_tcb *tp, const struct tern_pkt *p)
{
	size_t n = tern_pkt_truesize(p);
	tern_budget_uncharge(&s->budget.tcp_ofo, n);
	tp->ofo_charged -= n;
}

void tcp_ofo_uncharge_all(struct tern_stack *s, struct tern_tcb *tp)
{
	tern_budget_uncharge(&s->budget.tcp_ofo, tp->ofo_charged);
	tp->ofo_charged = 0;
}
