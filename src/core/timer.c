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
		h->slots[i]->heap_idx = -1;
	free(h->slots);
	free(h->seq);
	*h = (struct tern_timer_heap){0};
}

void tern_timer_heap_shrink(struct tern_timer_heap *h)
{
	if (h->len)
		return;
	free(h->slots);
	free(h->seq);
	h->slots = NULL;
	h->seq = NULL;
	h->cap = 0; /* next_seq goes on: ties keep their arm order */
}

static int before(const struct tern_timer_heap *h, uint32_t a, uint32_t b)
{
	const struct tern_timer *ta = h->slots[a], *tb = h->slots[b];
	if (ta->when != tb->when)
		return ta->when < tb->when;
	return h->seq[a] < h->seq[b];
}

static void swap(struct tern_timer_heap *h, uint32_t a, uint32_t b)
{
	struct tern_timer *t = h->slots[a];
	uint64_t s = h->seq[a];
	h->slots[a] = h->slots[b];
	h->seq[a] = h->seq[b];
	h->slots[b] = t;
	h->seq[b] = s;
	h->slots[a]->heap_idx = (int32_t)a;
	h->slots[b]->heap_idx = (int32_t)b;
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
	uint32_t cap = h->cap ? h->cap * 2 : 4; /* small: most hosts of a lab have a few */
	struct tern_timer **slots = realloc(h->slots, cap * sizeof(*slots));
	if (!slots)
		return TERN_ENOMEM;
	h->slots = slots;
	uint64_t *seq = realloc(h->seq, cap * sizeof(*seq));
	if (!seq)
		return TERN_ENOMEM;
	h->seq = seq;
	h->cap = cap;
	return 0;
}

int tern_timer_heap_insert(struct tern_timer_heap *h, struct tern_timer *t)
{
	if (h->len == h->cap && grow(h) < 0)
		return TERN_ENOMEM;
	uint32_t i = h->len++;
	h->slots[i] = t;
	h->seq[i] = h->next_seq++;
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
	h->seq[i] = h->seq[last];
	h->slots[i]->heap_idx = (int32_t)i;
	sift_down(h, i);
	sift_up(h, i);
}
