/* numfmt: see numfmt.h. */
#include "common/numfmt.h"

#include <stdio.h>
#include <stdlib.h>

char *numfmt_double(double v, char *buf, size_t len)
{
	int prec;

	for (prec = 15; prec < 17; prec++) {
		snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return buf;
	}
	snprintf(buf, len, "%.17g", v);
	return buf;
}
