/*
 * wire/options.h — walking the option lists IPv4 (RFC 791 §3.1) and TCP
 * (RFC 9293 §3.1) share. An option is a single octet, EOL (0) or NOP (1),
 * or kind, length, data, where length counts all three (so >= 2) and the
 * option ends inside the option space. After EOL the rest is padding.
 */
#ifndef TERN_WIRE_OPTIONS_H
#define TERN_WIRE_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#define TERN_OPT_EOL 0
#define TERN_OPT_NOP 1

struct tern_opt {
	uint8_t kind;
	uint8_t len;          /* of the whole option, >= 2 */
	const uint8_t *data;  /* len - 2 bytes */
};

enum { TERN_OPT_BAD = -1, TERN_OPT_END = 0, TERN_OPT_NEXT = 1 };

/*
 * The next option at or after *pos in opt[0..n), NOPs skipped:
 * TERN_OPT_NEXT with *o filled in and *pos moved past it; TERN_OPT_END at
 * EOL or the end of the space; TERN_OPT_BAD if the length octet is
 * missing, below 2 or runs past n (then *pos and *o are unchanged).
 */
static inline int tern_opt_next(const uint8_t *opt, size_t n, size_t *pos, struct tern_opt *o)
{
	size_t i = *pos;

	while (i < n && opt[i] == TERN_OPT_NOP)
		i++;
	if (i >= n || opt[i] == TERN_OPT_EOL) {
		*pos = n;
		return TERN_OPT_END;
	}
	if (n - i < 2 || opt[i + 1] < 2 || opt[i + 1] > n - i)
		return TERN_OPT_BAD;
	o->kind = opt[i];
	o->len = opt[i + 1];
	o->data = opt + i + 2;
	*pos = i + o->len;
	return TERN_OPT_NEXT;
}

#endif
