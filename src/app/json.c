/*
 * app/json.c — see json.h. The reader is a recursive descent over RFC 8259's
 * grammar with the depth bounded; every index is checked against len before
 * it is read.
 */
#include "app/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tj_parser {
	const char *p;
	size_t len, pos;
	struct tj_node *nodes;
	int cap, n;
};

static void skip_ws(struct tj_parser *ps)
{
	while (ps->pos < ps->len) {
		char c = ps->p[ps->pos];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			return;
		ps->pos++;
	}
}

static bool lit(struct tj_parser *ps, const char *word)
{
	size_t n = strlen(word);
	if (ps->len - ps->pos < n || memcmp(ps->p + ps->pos, word, n) != 0)
		return false;
	ps->pos += n;
	return true;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* At the opening quote: the span inside the quotes, escapes checked (§7). */
static bool parse_string(struct tj_parser *ps, const char **s, size_t *n)
{
	ps->pos++; /* the quote */
	size_t start = ps->pos;
	while (ps->pos < ps->len) {
		unsigned char c = (unsigned char)ps->p[ps->pos];
		if (c == '"') {
			*s = ps->p + start;
			*n = ps->pos - start;
			ps->pos++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c == '\\') {
			if (ps->pos + 1 >= ps->len)
				return false;
			char e = ps->p[ps->pos + 1];
			if (e == 'u') {
				if (ps->len - ps->pos < 6)
					return false;
				for (int i = 2; i < 6; i++)
					if (!is_hex(ps->p[ps->pos + (size_t)i]))
						return false;
				ps->pos += 6;
				continue;
			}
			if (!strchr("\"\\/bfnrt", e) || e == '\0')
				return false;
			ps->pos += 2;
			continue;
		}
		ps->pos++;
	}
	return false;
}

static bool digits(struct tj_parser *ps)
{
	size_t start = ps->pos;
	while (ps->pos < ps->len && ps->p[ps->pos] >= '0' && ps->p[ps->pos] <= '9')
		ps->pos++;
	return ps->pos > start;
}

/* §6: -? int frac? exp?, int without leading zeros. */
static bool parse_number(struct tj_parser *ps, struct tj_node *nd)
{
	size_t start = ps->pos;
	bool neg = false, is_int = true;
	if (ps->p[ps->pos] == '-') {
		neg = true;
		ps->pos++;
	}
	if (ps->pos >= ps->len)
		return false;
	if (ps->p[ps->pos] == '0')
		ps->pos++;
	else if (!digits(ps))
		return false;
	size_t int_end = ps->pos;
	if (ps->pos < ps->len && ps->p[ps->pos] == '.') {
		ps->pos++;
		is_int = false;
		if (!digits(ps))
			return false;
	}
	if (ps->pos < ps->len && (ps->p[ps->pos] == 'e' || ps->p[ps->pos] == 'E')) {
		ps->pos++;
		is_int = false;
		if (ps->pos < ps->len && (ps->p[ps->pos] == '+' || ps->p[ps->pos] == '-'))
			ps->pos++;
		if (!digits(ps))
			return false;
	}
	char tmp[64];
	size_t n = ps->pos - start;
	if (n >= sizeof(tmp))
		return false;
	memcpy(tmp, ps->p + start, n);
	tmp[n] = '\0';
	nd->type = TJ_NUM;
	nd->num = strtod(tmp, NULL);
	nd->is_int = is_int;
	if (is_int) {
		uint64_t u = 0;
		for (size_t i = start + (neg ? 1 : 0); i < int_end; i++)
			u = u * 10 + (uint64_t)(ps->p[i] - '0'); /* modulo 2^64, as documented */
		nd->inum = neg ? (int64_t)(0 - u) : (int64_t)u;
	}
	return true;
}

static int new_node(struct tj_parser *ps)
{
	if (ps->n >= ps->cap)
		return -1;
	struct tj_node *nd = &ps->nodes[ps->n];
	memset(nd, 0, sizeof(*nd));
	nd->child = nd->next = -1;
	return ps->n++;
}

static int parse_value(struct tj_parser *ps, int depth);

/* At '{' or '[': members linked as children. */
static bool parse_container(struct tj_parser *ps, int idx, bool object, int depth)
{
	char close = object ? '}' : ']';
	ps->pos++;
	skip_ws(ps);
	if (ps->pos < ps->len && ps->p[ps->pos] == close) {
		ps->pos++;
		return true;
	}
	int last = -1;
	for (;;) {
		const char *key = NULL;
		size_t key_len = 0;
		skip_ws(ps);
		if (object) {
			if (ps->pos >= ps->len || ps->p[ps->pos] != '"' ||
			    !parse_string(ps, &key, &key_len))
				return false;
			skip_ws(ps);
			if (ps->pos >= ps->len || ps->p[ps->pos] != ':')
				return false;
			ps->pos++;
		}
		int c = parse_value(ps, depth + 1);
		if (c < 0)
			return false;
		ps->nodes[c].key = key;
		ps->nodes[c].key_len = key_len;
		if (last < 0)
			ps->nodes[idx].child = c;
		else
			ps->nodes[last].next = c;
		last = c;
		skip_ws(ps);
		if (ps->pos >= ps->len)
			return false;
		if (ps->p[ps->pos] == ',') {
			ps->pos++;
			continue;
		}
		if (ps->p[ps->pos] == close) {
			ps->pos++;
			return true;
		}
		return false;
	}
}

static int parse_value(struct tj_parser *ps, int depth)
{
	if (depth > TJ_MAX_DEPTH)
		return -1;
	skip_ws(ps);
	if (ps->pos >= ps->len)
		return -1;
	int idx = new_node(ps);
	if (idx < 0)
		return -1;
	struct tj_node *nd = &ps->nodes[idx];
	char c = ps->p[ps->pos];
	bool ok;
	switch (c) {
	case '{':
	case '[':
		nd->type = c == '{' ? TJ_OBJ : TJ_ARR;
		ok = parse_container(ps, idx, c == '{', depth);
		break;
	case '"':
		nd->type = TJ_STR;
		ok = parse_string(ps, &nd->str, &nd->str_len);
		break;
	case 't':
		nd->type = TJ_BOOL;
		nd->b = true;
		ok = lit(ps, "true");
		break;
	case 'f':
		nd->type = TJ_BOOL;
		ok = lit(ps, "false");
		break;
	case 'n':
		nd->type = TJ_NULL;
		ok = lit(ps, "null");
		break;
	default:
		ok = (c == '-' || (c >= '0' && c <= '9')) && parse_number(ps, nd);
		break;
	}
	return ok ? idx : -1;
}

int tj_parse(const char *text, size_t len, struct tj_node *nodes, int cap)
{
	struct tj_parser ps = {.p = text, .len = len, .nodes = nodes, .cap = cap};
	if (!text || !nodes || cap <= 0)
		return -1;
	if (parse_value(&ps, 0) != 0)
		return -1;
	skip_ws(&ps);
	return ps.pos == ps.len ? ps.n : -1;
}

const struct tj_node *tj_get(const struct tj_node *nodes, const struct tj_node *obj,
			     const char *key)
{
	if (!obj || obj->type != TJ_OBJ)
		return NULL;
	size_t n = strlen(key);
	for (int i = obj->child; i >= 0; i = nodes[i].next)
		if (nodes[i].key_len == n && memcmp(nodes[i].key, key, n) == 0)
			return &nodes[i];
	return NULL;
}

bool tj_get_num(const struct tj_node *nodes, const struct tj_node *obj, const char *key,
		double *out)
{
	const struct tj_node *v = tj_get(nodes, obj, key);
	if (!v || v->type != TJ_NUM)
		return false;
	*out = v->num;
	return true;
}

bool tj_get_int(const struct tj_node *nodes, const struct tj_node *obj, const char *key,
		int64_t *out)
{
	const struct tj_node *v = tj_get(nodes, obj, key);
	if (!v || v->type != TJ_NUM)
		return false;
	if (v->is_int)
		*out = v->inum;
	else if (v->num >= -9.2e18 && v->num <= 9.2e18)
		*out = (int64_t)v->num;
	else
		return false;
	return true;
}

bool tj_get_bool(const struct tj_node *nodes, const struct tj_node *obj, const char *key,
		 bool *out)
{
	const struct tj_node *v = tj_get(nodes, obj, key);
	if (!v || v->type != TJ_BOOL)
		return false;
	*out = v->b;
	return true;
}

/* ---- writer ---- */

void tj_w_init(struct tj_writer *w, char *buf, size_t cap)
{
	memset(w, 0, sizeof(*w));
	w->buf = buf;
	w->cap = cap;
	if (cap)
		buf[0] = '\0';
	else
		w->overflow = true;
}

static void put(struct tj_writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct tj_writer *w, const char *fmt, ...)
{
	if (w->overflow)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(w->buf + w->len, w->cap - w->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= w->cap - w->len) {
		w->overflow = true;
		w->buf[w->len] = '\0';
		return;
	}
	w->len += (size_t)n;
}

static bool plain(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == '"' || *s == '\\')
			return false;
	return true;
}

static void lead(struct tj_writer *w, const char *key)
{
	if (w->comma)
		put(w, ",");
	if (key) {
		if (!plain(key))
			w->overflow = true;
		put(w, "\"%s\":", key);
	}
	w->comma = true;
}

void tj_w_open(struct tj_writer *w, const char *key, char bracket)
{
	lead(w, key);
	put(w, "%c", bracket);
	w->comma = false;
}

void tj_w_close(struct tj_writer *w, char bracket)
{
	put(w, "%c", bracket);
	w->comma = true;
}

void tj_w_int(struct tj_writer *w, const char *key, int64_t v)
{
	lead(w, key);
	put(w, "%lld", (long long)v);
}

void tj_w_double(struct tj_writer *w, const char *key, double v)
{
	lead(w, key);
	put(w, "%.6f", v);
}

void tj_w_bool(struct tj_writer *w, const char *key, bool v)
{
	lead(w, key);
	put(w, "%s", v ? "true" : "false");
}

void tj_w_str(struct tj_writer *w, const char *key, const char *v)
{
	lead(w, key);
	if (!plain(v))
		w->overflow = true;
	put(w, "\"%s\"", v);
}
