/*
 * core/pkt.c — the per-stack packet buffer pool (see pkt.h).
 *
 * The pkt header and its buffer come from one allocation, made the first
 * time the pool needs another buffer of that class and recycled on the
 * class's free list thereafter, until a trim gives it back.
 */
#include <stdlib.h>

#include "core/pkt.h"

void tern_pkt_pool_init(struct tern_pkt_pool *pool, size_t max_bytes)
{
	*pool = (struct tern_pkt_pool){.max_bytes = max_bytes};
}

/* Free the first buffer of a free list; false if it is empty. */
static bool release_one(struct tern_pkt_pool *pool, struct tern_pkt **list)
{
	struct tern_pkt *p = *list;
	if (!p)
		return false;
	*list = p->next;
	pool->made_bytes -= tern_pkt_truesize(p);
	free(p);
	return true;
}

void tern_pkt_pool_fini(struct tern_pkt_pool *pool)
{
	while (release_one(pool, &pool->free_small) || release_one(pool, &pool->free_large))
		;
}

void tern_pkt_pool_trim(struct tern_pkt_pool *pool, size_t keep_bytes)
{
	if (keep_bytes < pool->recent_peak_bytes)
		keep_bytes = pool->recent_peak_bytes;
	pool->recent_peak_bytes = pool->in_use_bytes;
	while (pool->made_bytes > keep_bytes &&
	       (release_one(pool, &pool->free_large) || release_one(pool, &pool->free_small)))
		;
}

unsigned tern_pkt_pool_in_use(const struct tern_pkt_pool *pool)
{
	return pool->in_use;
}

/* A new buffer of capacity cap, if the pool may grow by its true size
 * (giving back free buffers of the other class to make room). */
static struct tern_pkt *make(struct tern_pkt_pool *pool, uint32_t cap, uint8_t large)
{
	size_t size = TERN_PKT_TRUESIZE(cap);
	struct tern_pkt **other = large ? &pool->free_small : &pool->free_large;
	while (pool->made_bytes + size > pool->max_bytes)
		if (!release_one(pool, other))
			return NULL;
	struct tern_pkt *p = malloc(size);
	if (!p)
		return NULL;
	p->buf = (uint8_t *)(p + 1);
	p->cap = cap;
	p->large = large;
	pool->made_bytes += size;
	return p;
}

struct tern_pkt *tern_pkt_alloc(struct tern_pkt_pool *pool, size_t data_len)
{
	struct tern_pkt *p;
	if (data_len <= TERN_PKT_SMALL_DATA) {
		p = pool->free_small;
		if (p)
			pool->free_small = p->next;
		else
			p = make(pool, TERN_PKT_SMALL_CAP, 0);
	} else if (data_len <= TERN_PKT_LARGE_DATA) {
		p = pool->free_large;
		if (p)
			pool->free_large = p->next;
		else
			p = make(pool, TERN_PKT_LARGE_CAP, 1);
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
	p->tx_tag = 0;
	p->csum_ok = 0;
	p->rx_time = 0;
	p->next_hop = 0;
	pool->in_use++;
	pool->in_use_bytes += tern_pkt_truesize(p);
	if (pool->in_use_bytes > pool->recent_peak_bytes) {
		pool->recent_peak_bytes = pool->in_use_bytes;
		if (pool->in_use_bytes > pool->peak_bytes)
			pool->peak_bytes = pool->in_use_bytes;
	}
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
	pool->in_use_bytes -= tern_pkt_truesize(p);
}

void tern_pkt_queue_purge(struct tern_pkt_pool *pool, struct tern_pkt_queue *q)
{
	struct tern_pkt *p;
	while ((p = tern_pkt_dequeue(q)))
		tern_pkt_free(pool, p);
}
