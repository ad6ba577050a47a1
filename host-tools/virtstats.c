/*
 * virtstats: see virtstats.h. Pure functions over caller-owned buffers: no
 * libvirt, no I/O besides the one log line of an error, no allocation.
 */
#include "host-tools/virtstats.h"

#include "common/log.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#define VCPU_PREFIX "vcpu."

void virtstats_dom_init(struct virtstats_dom *d, struct virtstats_vcpu *buf, size_t cap)
{
	memset(d, 0, sizeof(*d));
	d->vcpu = buf;
	d->cap = buf ? cap : 0;
}

const char *virtstats_field_name(unsigned field)
{
	switch (field) {
	case VIRTSTATS_F_STATE:
		return "vcpu.N.state";
	case VIRTSTATS_F_TIME:
		return "vcpu.N.time";
	case VIRTSTATS_F_DELAY:
		return "vcpu.N.delay";
	case VIRTSTATS_F_WAIT:
		return "vcpu.N.wait";
	case VIRTSTATS_F_CURRENT:
		return "vcpu.current";
	case VIRTSTATS_F_MAXIMUM:
		return "vcpu.maximum";
	default:
		return "?";
	}
}

/* What a parameter name means to us. */
enum name_kind { NAME_OTHER, NAME_CURRENT, NAME_MAXIMUM, NAME_VCPU };

/*
 * Classify @name. For NAME_VCPU, *@idx is the index (saturated just above
 * VIRTSTATS_MAX_VCPUS so that huge numbers cannot overflow) and *@field the
 * VIRTSTATS_F_* bit. Malformed indices and unknown suffixes are NAME_OTHER.
 */
static enum name_kind classify(const char *name, size_t *idx, unsigned *field)
{
	static const struct {
		const char *suffix;
		unsigned field;
	} suffixes[] = {
		{ "state", VIRTSTATS_F_STATE },
		{ "time", VIRTSTATS_F_TIME },
		{ "delay", VIRTSTATS_F_DELAY },
		{ "wait", VIRTSTATS_F_WAIT },
	};
	const char *s;
	size_t i, v = 0;

	if (!name || strncmp(name, VCPU_PREFIX, strlen(VCPU_PREFIX)))
		return NAME_OTHER;
	s = name + strlen(VCPU_PREFIX);
	if (!strcmp(s, "current"))
		return NAME_CURRENT;
	if (!strcmp(s, "maximum"))
		return NAME_MAXIMUM;
	if (*s < '0' || *s > '9')
		return NAME_OTHER;
	if (s[0] == '0' && s[1] >= '0' && s[1] <= '9')
		return NAME_OTHER;                     /* "vcpu.01.time" */
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (size_t)(*s - '0');
		if (v > VIRTSTATS_MAX_VCPUS)
			v = VIRTSTATS_MAX_VCPUS + 1;
	}
	if (*s != '.')
		return NAME_OTHER;
	s++;
	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		if (!strcmp(s, suffixes[i].suffix)) {
			*idx = v;
			*field = suffixes[i].field;
			return NAME_VCPU;
		}
	}
	return NAME_OTHER;
}

/* An integer-typed parameter as a signed value; -EINVAL (logged) otherwise. */
static int param_int(const char *what, const struct virtstats_param *p, int64_t *out)
{
	switch (p->type) {
	case VIRTSTATS_INT:
	case VIRTSTATS_LLONG:
		*out = p->v.i;
		return 0;
	case VIRTSTATS_UINT:
	case VIRTSTATS_ULLONG:
		if (p->v.u > (uint64_t)INT64_MAX)
			return log_err(-ERANGE, "%s: %s: value %llu out of range", what,
				       p->name, (unsigned long long)p->v.u);
		*out = (int64_t)p->v.u;
		return 0;
	default:
		return log_err(-EINVAL, "%s: %s: expected an integer, got type %d", what,
			       p->name, (int)p->type);
	}
}

/* A cumulative counter: any non-negative integer type. */
static int param_counter(const char *what, const struct virtstats_param *p, uint64_t *out)
{
	int64_t v;

	switch (p->type) {
	case VIRTSTATS_UINT:
	case VIRTSTATS_ULLONG:
		*out = p->v.u;
		return 0;
	case VIRTSTATS_INT:
	case VIRTSTATS_LLONG:
		v = p->v.i;
		if (v < 0)
			return log_err(-EINVAL, "%s: %s: negative counter %lld", what,
				       p->name, (long long)v);
		*out = (uint64_t)v;
		return 0;
	default:
		return log_err(-EINVAL, "%s: %s: expected an integer counter, got type %d",
			       what, p->name, (int)p->type);
	}
}

/* vcpu.current / vcpu.maximum: a count in [0, VIRTSTATS_MAX_VCPUS]. */
static int param_count(const char *what, const struct virtstats_param *p, unsigned *out)
{
	int64_t v;
	int rc = param_int(what, p, &v);

	if (rc)
		return rc;
	if (v < 0 || v > VIRTSTATS_MAX_VCPUS)
		return log_err(-ERANGE, "%s: %s: %lld vCPUs is out of range [0, %d]", what,
			       p->name, (long long)v, VIRTSTATS_MAX_VCPUS);
	*out = (unsigned)v;
	return 0;
}

/* First pass: domain-wide counts, the highest vCPU index, index bounds. */
static int scan_counts(const char *what, const struct virtstats_param *p, size_t n,
		       struct virtstats_dom *d, size_t *nidx)
{
	size_t i, idx;
	unsigned field;
	int rc;

	*nidx = 0;
	for (i = 0; i < n; i++) {
		switch (classify(p[i].name, &idx, &field)) {
		case NAME_CURRENT:
			if (d->present & VIRTSTATS_F_CURRENT)
				return log_err(-EINVAL, "%s: %s: given twice", what, p[i].name);
			rc = param_count(what, &p[i], &d->current);
			if (rc)
				return rc;
			d->present |= VIRTSTATS_F_CURRENT;
			break;
		case NAME_MAXIMUM:
			if (d->present & VIRTSTATS_F_MAXIMUM)
				return log_err(-EINVAL, "%s: %s: given twice", what, p[i].name);
			rc = param_count(what, &p[i], &d->maximum);
			if (rc)
				return rc;
			d->present |= VIRTSTATS_F_MAXIMUM;
			break;
		case NAME_VCPU:
			if (idx >= VIRTSTATS_MAX_VCPUS)
				return log_err(-ERANGE, "%s: %s: vCPU index beyond the limit of %d",
					       what, p[i].name, VIRTSTATS_MAX_VCPUS);
			if (idx + 1 > *nidx)
				*nidx = idx + 1;
			break;
		case NAME_OTHER:
			d->nignored++;
			break;
		}
	}
	return 0;
}

static int store_field(const char *what, const struct virtstats_param *p,
		       struct virtstats_vcpu *v, unsigned field)
{
	int64_t state;
	int rc;

	if (v->present & field)
		return log_err(-EINVAL, "%s: %s: given twice", what, p->name);
	switch (field) {
	case VIRTSTATS_F_STATE:
		rc = param_int(what, p, &state);
		if (rc)
			return rc;
		if (state < INT_MIN || state > INT_MAX)
			return log_err(-ERANGE, "%s: %s: state %lld out of range", what,
				       p->name, (long long)state);
		v->state = (int)state;
		break;
	case VIRTSTATS_F_TIME:
		rc = param_counter(what, p, &v->time_ns);
		break;
	case VIRTSTATS_F_DELAY:
		rc = param_counter(what, p, &v->delay_ns);
		break;
	default:
		rc = param_counter(what, p, &v->wait_ns);
		break;
	}
	if (rc)
		return rc;
	v->present |= field;
	return 0;
}

int virtstats_parse(const char *what, const struct virtstats_param *p, size_t n,
		    size_t nvcpus_hint, struct virtstats_dom *d)
{
	size_t i, idx, nidx, nvcpus;
	unsigned field;
	int rc;

	d->nvcpus = 0;
	d->nreported = 0;
	d->present = 0;
	d->missing = 0;
	d->current = 0;
	d->maximum = 0;
	d->nignored = 0;
	rc = scan_counts(what, p, n, d, &nidx);
	if (rc)
		return rc;
	if ((d->present & VIRTSTATS_F_MAXIMUM) && nidx > d->maximum)
		return log_err(-ERANGE, "%s: vcpu.%zu.*: vCPU index not below vcpu.maximum %u",
			       what, nidx - 1, d->maximum);
	nvcpus = nidx;
	if (nvcpus_hint > nvcpus)
		nvcpus = nvcpus_hint;
	if ((d->present & VIRTSTATS_F_MAXIMUM) && d->maximum > nvcpus)
		nvcpus = d->maximum;
	if (nvcpus > d->cap)
		return log_err(-ERANGE, "%s: vCPU statistics for %zu vCPUs, room for %zu",
			       what, nvcpus, d->cap);
	for (i = 0; i < nvcpus; i++) {
		memset(&d->vcpu[i], 0, sizeof(d->vcpu[i]));
		d->vcpu[i].pcpu = -1;
	}
	for (i = 0; i < n; i++) {
		if (classify(p[i].name, &idx, &field) != NAME_VCPU)
			continue;
		rc = store_field(what, &p[i], &d->vcpu[idx], field);
		if (rc)
			return rc;
	}
	d->nvcpus = nvcpus;
	for (i = 0; i < nvcpus; i++) {
		if (!d->vcpu[i].present)
			continue;
		d->nreported++;
		d->missing |= VIRTSTATS_F_ALL & ~d->vcpu[i].present;
	}
	if (!d->nreported)
		d->missing |= VIRTSTATS_F_ALL;
	d->missing |= (VIRTSTATS_F_CURRENT | VIRTSTATS_F_MAXIMUM) & ~d->present;
	return 0;
}

int virtstats_cpumap_to_set(const char *what, const unsigned char *map, size_t maplen,
			    cpu_set_t *out)
{
	cpu_set_t set;
	size_t byte, cpu;
	unsigned bit;

	CPU_ZERO(&set);
	for (byte = 0; byte < maplen; byte++) {
		for (bit = 0; bit < 8; bit++) {
			if (!(map[byte] & (1u << bit)))
				continue;
			cpu = byte * 8 + bit;
			if (cpu >= CPU_SETSIZE)
				return log_err(-ERANGE, "%s: cpumap: CPU %zu is beyond %d", what,
					       cpu, CPU_SETSIZE - 1);
			CPU_SET(cpu, &set);
		}
	}
	*out = set;
	return 0;
}

int virtstats_set_to_cpumap(const char *what, const cpu_set_t *set, unsigned char *map,
			    size_t cap)
{
	size_t maplen, cpu;
	int hi = -1, i;

	for (i = CPU_SETSIZE - 1; i >= 0; i--) {
		if (CPU_ISSET(i, set)) {
			hi = i;
			break;
		}
	}
	if (hi < 0)
		return 0;
	maplen = (size_t)hi / 8 + 1;
	if (maplen > cap)
		return log_err(-ERANGE, "%s: cpumap: CPU %d needs %zu bytes, room for %zu",
			       what, hi, maplen, cap);
	memset(map, 0, maplen);
	for (cpu = 0; cpu <= (size_t)hi; cpu++) {
		if (CPU_ISSET(cpu, set))
			map[cpu / 8] |= (unsigned char)(1u << (cpu % 8));
	}
	return (int)maplen;
}

double virtstats_rate_pct(uint64_t prev_ns, uint64_t cur_ns, int64_t wall_ns)
{
	double pct;

	if (wall_ns <= 0 || cur_ns <= prev_ns)
		return 0.0;
	pct = (double)(cur_ns - prev_ns) * 100.0 / (double)wall_ns;
	return pct > 100.0 ? 100.0 : pct;
}

void virtstats_vcpu_rates(const struct virtstats_dom *a, const struct virtstats_dom *b,
			  size_t vcpu, struct virtstats_rates *out)
{
	const struct virtstats_vcpu *va, *vb;
	int64_t wall_ns = b->t_ns - a->t_ns;
	unsigned both;

	memset(out, 0, sizeof(*out));
	if (vcpu >= a->nvcpus || vcpu >= b->nvcpus)
		return;
	va = &a->vcpu[vcpu];
	vb = &b->vcpu[vcpu];
	both = va->present & vb->present;
	if (both & VIRTSTATS_F_TIME)
		out->time_pct = virtstats_rate_pct(va->time_ns, vb->time_ns, wall_ns);
	if (both & VIRTSTATS_F_DELAY)
		out->delay_pct = virtstats_rate_pct(va->delay_ns, vb->delay_ns, wall_ns);
	if (both & VIRTSTATS_F_WAIT)
		out->wait_pct = virtstats_rate_pct(va->wait_ns, vb->wait_ns, wall_ns);
	out->present = both & (VIRTSTATS_F_TIME | VIRTSTATS_F_DELAY | VIRTSTATS_F_WAIT);
}
