/*
 * core/timer.c — binary min-heap of timers (see timer.h). Order is
 * (when, seq): earliest deadline first, then arm order.
 */
#include <stdlib.h>

#include "core/timer.h"

void tern_timer_heap_init(struct tern_timer_heap *h)
{
	*h = (struct tern_timer_heap){0};
}

void tern_timer_heap_fini(struct tern_timer_heap *h)
{
	for (uint32_t i = 0; i < h->len; i++)
		h->slots[i].t->heap_idx = -1;
	free(h->slots);
	*h = (struct tern_timer_heap){0};
}

void tern_timer_heap_shrink(struct tern_timer_heap *h)
{
	if (h->len)
		return;
	free(h->slots);
	h->slots = NULL;
	h->cap = 0; /* next_seq goes on: ties keep their arm order */
}

static int before(const struct tern_timer_heap *h, uint32_t a, uint32_t b)
{
	const struct tern_timer *ta = h->slots[a].t, *tb = h->slots[b].t;
	if (ta->when != tb->when)
		return ta->when < tb->when;
	return h->slots[a].seq < h->slots[b].seq;
}

static void swap(struct tern_timer_heap *h, uint32_t a, uint32_t b)
{
	struct tern_timer_slot x = h->slots[a];
	h->slots[a] = h->slots[b];
	h->slots[b] = x;
	h->slots[a].t->heap_idx = (int32_t)a;
	h->slots[b].t->heap_idx = (int32_t)b;
}

static void sift_up(struct tern_timer_heap *h, uint32_t i)
{
	while (i > 0) {
		uint32_t parent = (i - 1) / 2;
		if (!before(h, i, parent))
			break;
		swap(h, i, parent);
		i = parent;
	}
}

static void sift_down(struct tern_timer_heap *h, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < h->len && before(h, l, m))
			m = l;
		if (r < h->len && before(h, r, m))
			m = r;
		if (m == i)
			break;
		swap(h, i, m);
		i = m;
	}
}

static int grow(struct tern_timer_heap *h)
{
	/* from one: most hosts of a lab have one timer or none (malloc's
	 * smallest block holds it) */
	uint32_t cap = h->cap ? h->cap * 2 : 1;
	struct tern_timer_slot *slots = realloc(h->slots, cap * sizeof(*slots));
	if (!slots)
		return TERN_ENOMEM;
	h->slots = slots;
	h->cap = cap;
	return 0;
}

int tern_timer_heap_insert(struct tern_timer_heap *h, struct tern_timer *t)
{
	if (h->len == h->cap && grow(h) < 0)
		return TERN_ENOMEM;
	uint32_t i = h->len++;
	h->slots[i] = (struct tern_timer_slot){t, h->next_seq++};
	t->heap_idx = (int32_t)i;
	sift_up(h, i);
	return 0;
}

void tern_timer_heap_remove(struct tern_timer_heap *h, struct tern_timer *t)
{
	uint32_t i = (uint32_t)t->heap_idx;
	uint32_t last = --h->len;
	t->heap_idx = -1;
	if (i == last)
		return;
	h->slots[i] = h->slots[last];
	h->slots[i].t->heap_idx = (int32_t)i;
	sift_down(h, i);
	sift_up(h, i);
}
