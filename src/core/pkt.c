/*
 * core/pkt.c — the per-stack packet buffer pool (see pkt.h).
 *
 * The pkt header and its buffer come from one allocation, made the first
 * time the pool needs another buffer of that class and recycled on the
 * class's free list thereafter.
 */
#include <stdlib.h>

#include "core/pkt.h"

void tern_pkt_pool_init(struct tern_pkt_pool *pool, unsigned max_small, unsigned max_large)
{
	*pool = (struct tern_pkt_pool){.max_small = max_small, .max_large = max_large};
}

static void free_list(struct tern_pkt *p)
{
	while (p) {
		struct tern_pkt *next = p->next;
		free(p);
		p = next;
	}
}

void tern_pkt_pool_fini(struct tern_pkt_pool *pool)
{
	free_list(pool->free_small);
	free_list(pool->free_large);
	pool->free_small = pool->free_large = NULL;
}

unsigned tern_pkt_pool_in_use(const struct tern_pkt_pool *pool)
{
	return pool->in_use;
}

static struct tern_pkt *make(uint32_t cap, uint8_t large)
{
	struct tern_pkt *p = malloc(sizeof(*p) + cap);
	if (!p)
		return NULL;
	p->buf = (uint8_t *)(p + 1);
	p->cap = cap;
	p->large = large;
	return p;
}

struct tern_pkt *tern_pkt_alloc(struct tern_pkt_pool *pool, size_t data_len)
{
	struct tern_pkt *p;
	if (data_len <= TERN_PKT_SMALL_DATA) {
		p = pool->free_small;
		if (p)
			pool->free_small = p->next;
		else if (pool->made_small < pool->max_small && (p = make(TERN_PKT_SMALL_CAP, 0)))
			pool->made_small++;
	} else if (data_len <= TERN_PKT_LARGE_DATA) {
		p = pool->free_large;
		if (p)
			pool->free_large = p->next;
		else if (pool->made_large < pool->max_large && (p = make(TERN_PKT_LARGE_CAP, 1)))
			pool->made_large++;
	} else {
		return NULL;
	}
	if (!p)
		return NULL;
	p->next = NULL;
	p->head = TERN_PKT_HEADROOM;
	p->len = 0;
	p->ifindex = -1;
	p->l2_type = TERN_PKT_L2_UNICAST;
	p->next_hop = 0;
	pool->in_use++;
	return p;
}

void tern_pkt_free(struct tern_pkt_pool *pool, struct tern_pkt *p)
{
	if (!p)
		return;
	struct tern_pkt **list = p->large ? &pool->free_large : &pool->free_small;
	p->next = *list;
	*list = p;
	pool->in_use--;
}

void tern_pkt_queue_purge(struct tern_pkt_pool *pool, struct tern_pkt_queue *q)
{
	struct tern_pkt *p;
	while ((p = tern_pkt_dequeue(q)))
		tern_pkt_free(pool, p);
}
