/*
 * core/timer.h — the per-stack timer heap: a binary min-heap of pointers to
 * struct tern_timer (tern/stack.h) keyed by `when`, each timer remembering
 * its heap slot so cancel and re-arm are O(log n). Equal deadlines fire in
 * the order they were armed (a sequence number breaks ties), which keeps
 * runs deterministic.
 */
#ifndef TERN_CORE_TIMER_H
#define TERN_CORE_TIMER_H

#include "tern/stack.h"

struct tern_timer_heap {
	struct tern_timer_slot {
		struct tern_timer *t;
		uint64_t seq;  /* arm order, for stable ties */
	} *slots;              /* one array: a host's few timers, one block */
	uint32_t len, cap;
	uint64_t next_seq;
};

void tern_timer_heap_init(struct tern_timer_heap *h);
void tern_timer_heap_fini(struct tern_timer_heap *h);
/* No timer armed: give the arrays back (a host at rest holds none). */
void tern_timer_heap_shrink(struct tern_timer_heap *h);
/* 0, or TERN_ENOMEM if the heap could not grow. */
int tern_timer_heap_insert(struct tern_timer_heap *h, struct tern_timer *t);
void tern_timer_heap_remove(struct tern_timer_heap *h, struct tern_timer *t);
static inline struct tern_timer *tern_timer_heap_top(const struct tern_timer_heap *h)
{
	return h->len ? h->slots[0].t : NULL;
}

#endif
