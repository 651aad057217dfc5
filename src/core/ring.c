/*
 * core/ring.c — the byte ring (see ring.h).
 */
#include <stdlib.h>
#include <string.h>

#include "wire/bytes.h"

#include "core/ring.h"

void tern_ring_init(struct tern_ring *r, size_t cap)
{
	*r = (struct tern_ring){.cap = cap};
}

void tern_ring_fini(struct tern_ring *r)
{
	free(r->buf);
	r->buf = NULL;
	r->head = r->len = 0;
}

void tern_ring_release(struct tern_ring *r)
{
	if (r->len == 0)
		tern_ring_fini(r);
}

long tern_ring_write(struct tern_ring *r, const void *data, size_t n)
{
	if (n > tern_ring_space(r))
		n = tern_ring_space(r);
	if (n == 0)
		return 0;
	if (!r->buf) {
		r->buf = malloc(r->cap);
		if (!r->buf)
			return -1;
		r->head = 0;
	}
	size_t tail = (r->head + r->len) % r->cap;
	size_t first = r->cap - tail < n ? r->cap - tail : n;
	tern_copy_payload(r->buf + tail, data, first);
	tern_copy_payload(r->buf, (const uint8_t *)data + first, n - first);
	r->len += n;
	return (long)n;
}

void tern_ring_peek(const struct tern_ring *r, size_t off, size_t n, struct tern_ring_span out[2])
{
	out[0] = out[1] = (struct tern_ring_span){NULL, 0};
	if (n == 0)
		return;
	size_t start = (r->head + off) % r->cap;
	size_t first = r->cap - start < n ? r->cap - start : n;
	out[0] = (struct tern_ring_span){r->buf + start, first};
	if (first < n)
		out[1] = (struct tern_ring_span){r->buf, n - first};
}

size_t tern_ring_read_at(const struct tern_ring *r, size_t off, void *dst, size_t n)
{
	struct tern_ring_span sp[2];
	tern_ring_peek(r, off, n, sp);
	tern_copy_payload(dst, sp[0].p, sp[0].n);
	tern_copy_payload((uint8_t *)dst + sp[0].n, sp[1].p, sp[1].n);
	return n;
}

void tern_ring_consume(struct tern_ring *r, size_t n)
{
	r->len -= n;
	r->head = r->len ? (r->head + n) % r->cap : 0;
}

int tern_ring_resize(struct tern_ring *r, size_t cap)
{
	if (cap < r->len)
		cap = r->len;
	if (!r->buf) {
		r->cap = cap;
		return 0;
	}
	uint8_t *nb = malloc(cap ? cap : 1);
	if (!nb)
		return -1;
	tern_ring_read_at(r, 0, nb, r->len);
	free(r->buf);
	r->buf = nb;
	r->head = 0;
	r->cap = cap;
	return 0;
}
