/*
 * markup: see markup.h. &#39; rather than &apos;: HTML 4 has no &apos;,
 * and a numeric reference means the same in every version of both.
 */
#include "common/markup.h"

void markup_escape(FILE *fp, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '&':
			fputs("&amp;", fp);
			break;
		case '<':
			fputs("&lt;", fp);
			break;
		case '>':
			fputs("&gt;", fp);
			break;
		case '"':
			fputs("&quot;", fp);
			break;
		case '\'':
			fputs("&#39;", fp);
			break;
		default:
			if (c >= 0x20 || c == '\n' || c == '\t')
				fputc(c, fp);
		}
	}
}
