/*
 * app/json.h — the little JSON iperf3's control connection needs (RFC
 * 8259): a reader that parses one message into a caller's fixed array of
 * nodes, validating every byte and bounding depth and node count, and a
 * writer that appends to a fixed buffer. No allocation in either.
 *
 * Strings are kept as spans of the input, escapes validated but not
 * decoded: the keys iperf3 uses are plain ASCII and compare as written.
 */
#ifndef TERN_APP_JSON_H
#define TERN_APP_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tj_type { TJ_NULL, TJ_BOOL, TJ_NUM, TJ_STR, TJ_ARR, TJ_OBJ };

struct tj_node {
	enum tj_type type;
	const char *key;          /* member name inside an object, else NULL */
	size_t key_len;
	const char *str;          /* TJ_STR: the raw span between the quotes */
	size_t str_len;
	double num;               /* TJ_NUM */
	int64_t inum;             /* TJ_NUM without fraction or exponent: the
				   * integer modulo 2^64 (iperf3 writes -1 as
				   * 18446744073709551615) */
	bool is_int, b;
	int child, next;          /* first child and next sibling: node indexes, -1 none */
};

#define TJ_MAX_DEPTH 16

/* Parse text[0..len) as one JSON value (whitespace around it allowed).
 * Returns the number of nodes used (node 0 is the root), or -1 if the
 * text is not valid JSON, nests deeper than TJ_MAX_DEPTH, needs more than
 * cap nodes or holds a number longer than 63 characters (iperf3 writes
 * none: a double takes at most 24). */
int tj_parse(const char *text, size_t len, struct tj_node *nodes, int cap);
/* The member `key` of object node `obj`, or NULL (also if obj is not an object). */
const struct tj_node *tj_get(const struct tj_node *nodes, const struct tj_node *obj,
			     const char *key);
/* The member as a number, bool or integer; false if absent or of another type. */
bool tj_get_num(const struct tj_node *nodes, const struct tj_node *obj, const char *key,
		double *out);
bool tj_get_int(const struct tj_node *nodes, const struct tj_node *obj, const char *key,
		int64_t *out);
bool tj_get_bool(const struct tj_node *nodes, const struct tj_node *obj, const char *key,
		 bool *out);

/* ---- writer ---- */

struct tj_writer {
	char *buf;
	size_t cap, len;
	bool overflow;            /* something did not fit: the text is unusable */
	bool comma;               /* the next value needs a comma before it */
};
void tj_w_init(struct tj_writer *w, char *buf, size_t cap);
/* Containers and members: key NULL for array elements and the root. */
void tj_w_open(struct tj_writer *w, const char *key, char bracket);  /* '{' or '[' */
void tj_w_close(struct tj_writer *w, char bracket);                  /* '}' or ']' */
void tj_w_int(struct tj_writer *w, const char *key, int64_t v);
void tj_w_double(struct tj_writer *w, const char *key, double v);
void tj_w_bool(struct tj_writer *w, const char *key, bool v);
/* v must need no escaping (checked: other strings set overflow). */
void tj_w_str(struct tj_writer *w, const char *key, const char *v);

#endif
