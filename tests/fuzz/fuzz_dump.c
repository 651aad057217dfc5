/*
 * tests/fuzz/fuzz_dump.c — libFuzzer target for the frame decoder behind
 * `tern dump` (src/app/dump.c, tern/dump.h). The first byte picks -e, -v,
 * -S and one of a few filters; the rest is frames, each a 2-byte
 * big-endian length and its bytes, through one decoder (so TCP's flow
 * table sees sequences). Every line must be a terminated string of
 * printable text, whatever the bytes. Seeds: tests/fuzz/corpus/dump/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tern/dump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *filters[][5] = {
		{NULL},
		{"icmp", NULL},
		{"tcp", "and", "port", "80", NULL},
		{"not", "arp", "or", "host", "10.0.0.1"},
		{"src", "host", "10.0.0.2", "and", "not"},
	};
	if (size < 1)
		return 0;
	struct tern_dump_opts o = {.link = data[0] & 1, .verbose = data[0] & 2,
				   .absolute = data[0] & 4};
	struct tern_dump *d = tern_dump_create(&o);
	if (!d)
		return 0;
	unsigned fi = (data[0] >> 3) % 5;
	int nw = 0;
	while (nw < 5 && filters[fi][nw])
		nw++;
	char err[256];
	tern_dump_set_filter(d, nw, filters[fi], err, sizeof(err));
	size_t off = 1;
	while (off + 2 <= size) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];
		off += 2;
		if (len > size - off)
			len = size - off;
		/* a copy of exactly len bytes, so ASan sees any read past it */
		uint8_t *frame = malloc(len ? len : 1);
		if (!frame)
			break;
		memcpy(frame, data + off, len);
		const char *line;
		tern_dump_frame(d, frame, len, &line);
		size_t n = strlen(line);
		if (n >= 4096)
			abort();
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)line[i] < 0x20 && line[i] != '\n')
				abort();
		free(frame);
		off += len;
	}
	tern_dump_destroy(d);
	return 0;
}
