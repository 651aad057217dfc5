/*
 * app/http_util.c — header-list helpers shared by the HTTP engines.
 */
#include "app/http_util.h"

#include <string.h>
#include <strings.h>

bool tern_http_has_token(const char *list, const char *tok)
{
	size_t tl = strlen(tok);
	const char *p = list;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		const char *e = p;
		while (*e && *e != ',' && *e != ' ' && *e != '\t')
			e++;
		if ((size_t)(e - p) == tl && strncasecmp(p, tok, tl) == 0)
			return true;
		p = e;
	}
	return false;
}
