/*
 * tests/unit/wire_util.h — helpers the wire-format tests share: packets
 * written as hex, copied into allocations of exactly their length so that
 * ASan flags any read past the end.
 */
#ifndef TERN_TEST_WIRE_UTIL_H
#define TERN_TEST_WIRE_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decode hex into a fresh malloc of exactly its length. */
static inline uint8_t *hex_alloc(const char *hex, size_t *len)
{
	size_t n = strlen(hex) / 2;
	uint8_t *p = malloc(n ? n : 1);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		sscanf(hex + 2 * i, "%2x", &v);
		p[i] = (uint8_t)v;
	}
	*len = n;
	return p;
}

/* A copy of p[0..n) in an allocation of exactly n bytes. */
static inline uint8_t *dup_exact(const uint8_t *p, size_t n)
{
	uint8_t *q = malloc(n ? n : 1);
	if (n)
		memcpy(q, p, n);
	return q;
}

#endif
