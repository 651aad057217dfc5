/*
 * core/pkt.h — packet buffers: one contiguous buffer per packet, with
 * headroom so each layer prepends its header in place (no copy), taken from
 * a per-stack pool in size classes:
 *   small — one frame (up to TERN_PKT_SMALL_DATA bytes of data);
 *   large — a whole IP datagram up to 65535 bytes plus link header
 *           (reassembly results, big local sends before fragmentation);
 *   tiny  — a short frame that no queue holds: consumed where it is
 *           received, or copied by the device it is sent on (ARP's, both
 *           ways: tern_pkt_alloc_tiny), malloc'd for each such frame
 *           and freed with it, never cached: a host of a big lab that
 *           hears every neighbour's announcement keeps nothing for them
 *           (ARP is not a hot path; a frame's 2 KiB kept for a second
 *           per host was most of an idle host's peak).
 * Buffers are malloc'd when the pool first needs them and then recycled, so
 * the hot path never mallocs. The pool grows on demand up to max_bytes of
 * buffers made (free or in use, counted at their true size); past that an
 * allocation of one class may release a free buffer of the other class to
 * make room, and only then fails. tern_pkt_pool_trim() returns free
 * buffers to malloc down to a resting size. Every test ends with
 * tern_pkt_pool_in_use() back to zero.
 *
 * Invariant: head + len <= cap. push/pull/put/trim are bounds-checked and
 * return NULL (or an error) rather than overrun.
 */
#ifndef TERN_CORE_PKT_H
#define TERN_CORE_PKT_H

#include <stddef.h>
#include <stdint.h>

#include "tern/types.h"

#define TERN_PKT_HEADROOM   128
#define TERN_PKT_SMALL_CAP  2048
#define TERN_PKT_SMALL_DATA (TERN_PKT_SMALL_CAP - TERN_PKT_HEADROOM)
#define TERN_PKT_LARGE_CAP  (65536 + 256)
#define TERN_PKT_LARGE_DATA (TERN_PKT_LARGE_CAP - TERN_PKT_HEADROOM)
#define TERN_PKT_TINY_CAP   256
#define TERN_PKT_TINY_DATA  (TERN_PKT_TINY_CAP - TERN_PKT_HEADROOM)

enum { TERN_PKT_SMALL, TERN_PKT_LARGE, TERN_PKT_TINY, TERN_PKT_NCLASSES };

/* How the frame reached us at the link layer (RFC 1122 §3.3.6: a datagram
 * that arrived as a link-layer broadcast is never forwarded). */
enum { TERN_PKT_L2_UNICAST = 0, TERN_PKT_L2_BROADCAST = 1, TERN_PKT_L2_MULTICAST = 2 };

struct tern_pkt {
	struct tern_pkt *next;  /* for queues; NULL when not queued */
	uint8_t *buf;
	uint32_t cap;
	uint32_t head;          /* offset of the first data byte */
	uint32_t len;           /* bytes of data */
	int16_t ifindex;        /* interface it arrived on; -1 if local */
	uint8_t cls;            /* size class: TERN_PKT_SMALL, _LARGE, _TINY */
	uint8_t l2_type;        /* TERN_PKT_L2_* */
	uint8_t tx_tag;         /* nonzero: accounted when it leaves or is dropped on the
				 * way (core/stack_impl.h tx_tag_done); ICMP: 1 + type */
	uint8_t csum_ok;        /* the checksums in it are known good, no need to verify
				 * them again: it was looped back, never left memory
				 * (Linux's CHECKSUM_UNNECESSARY on lo) */
	tern_ip4_t next_hop;    /* set by IP output for the link layer */
	tern_time_t rx_time;    /* when it was received: the `now` its frame arrived with
				 * (on TAP, the clock read as the frame was read; a
				 * reassembled datagram: its last fragment's; looped back:
				 * when it left the loopback queue); 0 if never received */
};

struct tern_pkt_pool {
	struct tern_pkt *free[TERN_PKT_NCLASSES]; /* each class's free buffers */
	size_t max_bytes;        /* limit on buffers made, at true size */
	size_t made_bytes;       /* buffers that exist, free or in use */
	size_t in_use_bytes, peak_bytes;
	size_t recent_peak_bytes;  /* highest in_use_bytes since the last trim */
	unsigned in_use;
};

/* A buffer's true size: what holding it costs (like Linux's skb
 * truesize). Budgets charge this, never the payload length. */
#define TERN_PKT_TRUESIZE(cap) (sizeof(struct tern_pkt) + (size_t)(cap))
static inline size_t tern_pkt_truesize(const struct tern_pkt *p)
{
	return TERN_PKT_TRUESIZE(p->cap);
}

void tern_pkt_pool_init(struct tern_pkt_pool *pool, size_t max_bytes);
/* Return free buffers to malloc until at most max(keep_bytes, the most in
 * use since the last trim) are made: a pool trimmed every second keeps what
 * a steady load needs and settles at keep_bytes one idle second after a
 * burst. Buffers in use stay, of course. */
void tern_pkt_pool_trim(struct tern_pkt_pool *pool, size_t keep_bytes);
/* Frees every buffer on the free lists. Buffers still in use leak: callers
 * free them first (tern_stack_destroy does). */
void tern_pkt_pool_fini(struct tern_pkt_pool *pool);
unsigned tern_pkt_pool_in_use(const struct tern_pkt_pool *pool);

/* A buffer with room for `data_len` bytes after TERN_PKT_HEADROOM, empty
 * (len 0, head at the headroom). NULL if the pool is exhausted or data_len
 * exceeds the large class. */
struct tern_pkt *tern_pkt_alloc(struct tern_pkt_pool *pool, size_t data_len);
/* The same, from the tiny class if data_len fits in it: for a frame that
 * no queue holds and that never grows. */
struct tern_pkt *tern_pkt_alloc_tiny(struct tern_pkt_pool *pool, size_t data_len);
void tern_pkt_free(struct tern_pkt_pool *pool, struct tern_pkt *p);

static inline uint8_t *tern_pkt_data(const struct tern_pkt *p)
{
	return p->buf + p->head;
}

/* Prepend n bytes; returns the new start, or NULL without headroom. */
static inline uint8_t *tern_pkt_push(struct tern_pkt *p, size_t n)
{
	if (n > p->head)
		return NULL;
	p->head -= (uint32_t)n;
	p->len += (uint32_t)n;
	return p->buf + p->head;
}

/* Remove n bytes from the front; returns the new start, or NULL if short. */
static inline uint8_t *tern_pkt_pull(struct tern_pkt *p, size_t n)
{
	if (n > p->len)
		return NULL;
	p->head += (uint32_t)n;
	p->len -= (uint32_t)n;
	return p->buf + p->head;
}

/* Append n bytes at the tail; returns where they go, or NULL if no room. */
static inline uint8_t *tern_pkt_put(struct tern_pkt *p, size_t n)
{
	if (n > p->cap - p->head - p->len)
		return NULL;
	uint8_t *tail = p->buf + p->head + p->len;
	p->len += (uint32_t)n;
	return tail;
}

/* Cut the data to len bytes (no-op if already shorter). */
static inline void tern_pkt_trim(struct tern_pkt *p, size_t len)
{
	if (len < p->len)
		p->len = (uint32_t)len;
}

/* A FIFO of packets linked through ->next. */
struct tern_pkt_queue {
	struct tern_pkt *head, *tail;
	unsigned len;
};

static inline void tern_pkt_enqueue(struct tern_pkt_queue *q, struct tern_pkt *p)
{
	p->next = NULL;
	if (q->tail)
		q->tail->next = p;
	else
		q->head = p;
	q->tail = p;
	q->len++;
}

static inline struct tern_pkt *tern_pkt_dequeue(struct tern_pkt_queue *q)
{
	struct tern_pkt *p = q->head;
	if (p) {
		q->head = p->next;
		if (!q->head)
			q->tail = NULL;
		p->next = NULL;
		q->len--;
	}
	return p;
}

void tern_pkt_queue_purge(struct tern_pkt_pool *pool, struct tern_pkt_queue *q);

#endif
