/*
 * core/budget.h — memory budgets for what a remote peer can fill.
 *
 * Every queue or table that grows with what peers send (reassembly,
 * packets waiting for a neighbour's address, sockets' receive queues,
 * and within those TCP's out-of-order data) charges what it holds to its
 * own budget, in true buffer sizes (tern_pkt_truesize). A budget's limit
 * is a fixed share of the packet pool (core/stack.c sets them from the
 * configuration and clamps each to its share), and the shares add up to
 * less than the whole: what no budget may take is the reserve that keeps
 * the host answering (a received frame always finds a buffer). A holder
 * asks tern_budget_fits() before it keeps something; when the answer is
 * no, it refuses (or evicts) and counts that under its own named counter.
 */
#ifndef TERN_CORE_BUDGET_H
#define TERN_CORE_BUDGET_H

#include <stdbool.h>
#include <stddef.h>

struct tern_budget {
	size_t used;   /* bytes charged now */
	size_t limit;  /* never more than this */
	size_t peak;   /* highest `used` seen */
};

static inline bool tern_budget_fits(const struct tern_budget *b, size_t n)
{
	return n <= b->limit && b->used <= b->limit - n;
}

static inline void tern_budget_charge(struct tern_budget *b, size_t n)
{
	b->used += n;
	if (b->used > b->peak)
		b->peak = b->used;
}

static inline void tern_budget_uncharge(struct tern_budget *b, size_t n)
{
	b->used -= n; /* exact: tests check that every budget drains to 0 */
}

#endif
