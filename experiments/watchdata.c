/*
 * watchdata: see watchdata.h. Buffer management only: no I/O, no logging,
 * no libvirt.
 */
#include "experiments/watchdata.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int watchdata_grow(void **v, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 8;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need) {
		if (n > SIZE_MAX / 2 / size)
			return -ENOMEM;
		n *= 2;
	}
	p = realloc(*v, n * size);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = n;
	return 0;
}

int watchdata_reserve(struct watch_host *h, size_t ndoms, size_t nvcpus)
{
	int err;

	err = watchdata_grow((void **)&h->doms, &h->doms_cap, ndoms, sizeof(*h->doms));
	if (err)
		return err;
	return watchdata_grow((void **)&h->vcpus, &h->vcpus_cap, nvcpus, sizeof(*h->vcpus));
}

int watchdata_copy(struct watch_host *dst, const struct watch_host *src)
{
	struct watch_dom *doms;
	struct virtstats_vcpu *vcpus;
	size_t doms_cap, vcpus_cap;
	int err;

	err = watchdata_reserve(dst, src->ndoms, src->nvcpus);
	if (err)
		return err;
	doms = dst->doms;
	vcpus = dst->vcpus;
	doms_cap = dst->doms_cap;
	vcpus_cap = dst->vcpus_cap;
	*dst = *src;
	dst->doms = doms;
	dst->vcpus = vcpus;
	dst->doms_cap = doms_cap;
	dst->vcpus_cap = vcpus_cap;
	if (src->ndoms)
		memcpy(dst->doms, src->doms, src->ndoms * sizeof(*src->doms));
	if (src->nvcpus)
		memcpy(dst->vcpus, src->vcpus, src->nvcpus * sizeof(*src->vcpus));
	return 0;
}

void watchdata_swap(struct watch_host *a, struct watch_host *b)
{
	struct watch_host t = *a;

	*a = *b;
	*b = t;
}

const struct watch_dom *watchdata_find_dom(const struct watch_host *h, const char *name)
{
	size_t lo = 0, hi = h->ndoms, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(name, h->doms[mid].name);
		if (c == 0)
			return &h->doms[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const char *watchdata_state_name(int state)
{
	switch (state) {
	case WATCH_HOST_CONNECTING:
		return "connecting";
	case WATCH_HOST_UP:
		return "up";
	case WATCH_HOST_UNREACHABLE:
		return "unreachable";
	case WATCH_HOST_LOST:
		return "lost";
	case WATCH_HOST_DEAD:
		return "sampler ended";
	default:
		return "?";
	}
}

void watchdata_free(struct watch_host *h)
{
	free(h->doms);
	free(h->vcpus);
	memset(h, 0, sizeof(*h));
}
