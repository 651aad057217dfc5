/*
 * core/ring.h — a byte ring: TCP's send buffer (and anything else that
 * queues a byte stream). Bytes are appended at the tail and consumed from
 * the head; between them they can be read at any offset from the head, so
 * a sender cuts segments (and re-cuts retransmissions) straight from it.
 *
 * The storage is allocated on the first write, never before, and can be
 * released once the ring is empty (tern_ring_release): an idle connection
 * holds no buffer. Capacity is fixed at init; nothing here mallocs on the
 * data path after the first write.
 */
#ifndef TERN_CORE_RING_H
#define TERN_CORE_RING_H

#include <stddef.h>
#include <stdint.h>

struct tern_ring {
	uint8_t *buf;    /* NULL until the first write */
	size_t cap;      /* bytes it may hold */
	size_t head;     /* offset in buf of the first byte */
	size_t len;      /* bytes held */
};

void tern_ring_init(struct tern_ring *r, size_t cap);
/* Frees the storage (whatever it holds). */
void tern_ring_fini(struct tern_ring *r);
/* Free the storage if the ring is empty; it comes back on the next write. */
void tern_ring_release(struct tern_ring *r);

static inline size_t tern_ring_len(const struct tern_ring *r) { return r->len; }
static inline size_t tern_ring_space(const struct tern_ring *r) { return r->cap - r->len; }

/* Append up to n bytes; returns how many fit (0 when full), or -1 if the
 * storage could not be allocated. */
long tern_ring_write(struct tern_ring *r, const void *data, size_t n);
/* The bytes [off, off + n) from the head as at most two spans (the second
 * empty unless they wrap). off + n must be <= len. */
struct tern_ring_span {
	const uint8_t *p;
	size_t n;
};
void tern_ring_peek(const struct tern_ring *r, size_t off, size_t n, struct tern_ring_span out[2]);
/* Copy [off, off + n) out; returns n. */
size_t tern_ring_read_at(const struct tern_ring *r, size_t off, void *dst, size_t n);
/* Drop n bytes from the head (n <= len). */
void tern_ring_consume(struct tern_ring *r, size_t n);
/* Change the capacity: grows or shrinks (never below what is held). -1 if
 * storage could not be had; the ring is then unchanged. */
int tern_ring_resize(struct tern_ring *r, size_t cap);

#endif
