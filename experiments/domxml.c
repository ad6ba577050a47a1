/*
 * domxml: see domxml.h. The XML is written through a memory stream; every
 * text node and attribute value that did not come from a literal here goes
 * through markup_escape() (common/markup.h), which escapes both quotes.
 */
#include "experiments/domxml.h"

#include "common/log.h"
#include "common/markup.h"
#include "common/parse.h"
#include "experiments/serialog.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int domxml_name(char *buf, size_t len, const char *experiment, pid_t pid, int n)
{
	int w = snprintf(buf, len, "stealscope-%s-%d-%d", experiment, (int)pid, n);

	if (w < 0 || (size_t)w >= len || w >= DOMXML_NAME_MAX)
		return log_err(-ENAMETOOLONG, "domain name for experiment %s: longer than %d "
			       "characters", experiment, DOMXML_NAME_MAX - 1);
	return 0;
}

int domxml_cmdline(const struct spec *s, const char *id, int64_t margin_ns, char *buf,
		   size_t len)
{
	int w;

	if (!id || !serialog_id_valid(id))
		return log_err(-EINVAL, "boot id '%s' is not 8-16 lowercase hex digits",
			       id ? id : "(null)");
	w = snprintf(buf, len,
		     "console=ttyS0 quiet loglevel=1 panic=-1 stealscope.id=%s stealscope.vcpus=%d "
		     "stealscope.workload=%s stealscope.tasks=%d stealscope.units=%" PRId64
		     " stealscope.unit_work=%" PRId64 " stealscope.duration=%" PRId64
		     " stealscope.interval=%" PRId64 " stealscope.margin=%" PRId64,
		     id, s->vcpus, spec_workload_name(s->workload), s->tasks, s->units,
		     s->unit_work_ns, s->duration_ns, s->sample_interval_ns, margin_ns);
	if (w < 0 || (size_t)w >= len || w >= DOMXML_CMDLINE_MAX)
		return log_err(-ENAMETOOLONG, "kernel command line longer than %d bytes",
			       DOMXML_CMDLINE_MAX - 1);
	return 0;
}

void domxml_emulator_cpus(const struct spec *s, const cpu_set_t *online, cpu_set_t *out)
{
	cpu_set_t vcpus, hogs, free_cpus;
	int i;

	CPU_ZERO(&vcpus);
	CPU_ZERO(&hogs);
	for (i = 0; i < s->vcpus && i < SPEC_MAX_VCPUS; i++)
		if (s->pins[i] >= 0 && s->pins[i] < CPU_SETSIZE)
			CPU_SET(s->pins[i], &vcpus);
	for (i = 0; i < s->n_contention && i < SPEC_MAX_CONTENTION; i++)
		if (s->contention[i].cpu >= 0 && s->contention[i].cpu < CPU_SETSIZE)
			CPU_SET(s->contention[i].cpu, &hogs);
	CPU_ZERO(out);
	for (i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, online) && !CPU_ISSET(i, &vcpus))
			CPU_SET(i, out);
	memcpy(&free_cpus, out, sizeof(free_cpus));
	for (i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &hogs))
			CPU_CLR(i, &free_cpus);
	if (CPU_COUNT(&free_cpus) > 0)
		memcpy(out, &free_cpus, sizeof(*out));
}

void domxml_quota(const struct spec *s, int64_t *period_us, int64_t *quota_us)
{
	double per_vcpu;

	*period_us = 0;
	*quota_us = 0;
	if (!(s->quota_pct > 0) || s->vcpus < 1)
		return;
	per_vcpu = s->quota_pct / 100.0 / s->vcpus;
	*period_us = DOMXML_QUOTA_PERIOD_US;
	if (per_vcpu * (double)*period_us < 1000.0)
		*period_us = 1000000;
	*quota_us = (int64_t)(per_vcpu * (double)*period_us + 0.5);
	if (*quota_us < 1000)
		*quota_us = 1000;
}


static void element(FILE *fp, const char *indent, const char *tag, const char *text)
{
	fprintf(fp, "%s<%s>", indent, tag);
	markup_escape(fp, text);
	fprintf(fp, "</%s>\n", tag);
}

static void cputune(FILE *fp, const struct domxml_in *in)
{
	const struct spec *s = in->spec;
	char cpus[CPULIST_FMT_LEN];
	int64_t period, quota;
	int i, any = 0;
	cpu_set_t one;

	domxml_quota(s, &period, &quota);
	for (i = 0; i < s->vcpus; i++)
		any |= s->pins[i] != SPEC_PIN_ANY;
	if (!any && quota == 0 && (!in->emulator_cpus || CPU_COUNT(in->emulator_cpus) == 0))
		return;
	fputs("  <cputune>\n", fp);
	for (i = 0; i < s->vcpus; i++) {
		if (s->pins[i] == SPEC_PIN_ANY)
			continue;      /* unpinned: the host scheduler places it */
		CPU_ZERO(&one);
		CPU_SET(s->pins[i], &one);
		fprintf(fp, "    <vcpupin vcpu='%d' cpuset='%s'/>\n", i,
			cpulist_format(&one, cpus, sizeof(cpus)));
	}
	if (in->emulator_cpus && CPU_COUNT(in->emulator_cpus) > 0)
		fprintf(fp, "    <emulatorpin cpuset='%s'/>\n",
			cpulist_format(in->emulator_cpus, cpus, sizeof(cpus)));
	if (quota > 0)
		fprintf(fp, "    <period>%" PRId64 "</period>\n    <quota>%" PRId64 "</quota>\n",
			period, quota);
	fputs("  </cputune>\n", fp);
}

static int check_in(const struct domxml_in *in)
{
	const struct spec *s = in->spec;
	int i;

	if (!s || !in->name || !in->domain_type || !in->kernel || !in->initrd || !in->cmdline ||
	    !in->serial_path)
		return log_err(-EINVAL, "domain XML: a required part is missing");
	if (strcmp(in->domain_type, "kvm") && strcmp(in->domain_type, "qemu"))
		return log_err(-EINVAL, "domain XML: domain type '%s' (kvm or qemu)",
			       in->domain_type);
	if (s->vcpus < 1 || s->vcpus > SPEC_MAX_VCPUS)
		return log_err(-EINVAL, "domain XML: %d vCPUs (1..%d)", s->vcpus, SPEC_MAX_VCPUS);
	for (i = 0; i < s->vcpus; i++)
		if (s->pins[i] != SPEC_PIN_ANY && (s->pins[i] < 0 || s->pins[i] >= CPU_SETSIZE))
			return log_err(-EINVAL, "domain XML: vCPU %d pinned to CPU %d", i,
				       s->pins[i]);
	return 0;
}

int domxml_build(const struct domxml_in *in, char **out)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp;
	int rc;

	*out = NULL;
	rc = check_in(in);
	if (rc)
		return rc;
	fp = open_memstream(&text, &len);
	if (!fp)
		return log_err(-ENOMEM, "domain XML: out of memory");
	fprintf(fp, "<domain type='%s'>\n", in->domain_type);
	element(fp, "  ", "name", in->name);
	if (in->description)
		element(fp, "  ", "description", in->description);
	fprintf(fp, "  <memory unit='MiB'>%d</memory>\n",
		in->memory_mib > 0 ? in->memory_mib : DOMXML_MEMORY_MIB);
	fprintf(fp, "  <vcpu placement='static'>%d</vcpu>\n", in->spec->vcpus);
	cputune(fp, in);
	fputs("  <os>\n    <type arch='x86_64'>hvm</type>\n", fp);
	element(fp, "    ", "kernel", in->kernel);
	element(fp, "    ", "initrd", in->initrd);
	element(fp, "    ", "cmdline", in->cmdline);
	fputs("  </os>\n"
	      "  <features>\n    <acpi/>\n  </features>\n"
	      "  <clock offset='utc'/>\n"
	      "  <on_poweroff>destroy</on_poweroff>\n"
	      "  <on_reboot>destroy</on_reboot>\n"
	      "  <on_crash>destroy</on_crash>\n"
	      "  <devices>\n"
	      "    <controller type='usb' model='none'/>\n"
	      "    <serial type='file'>\n"
	      "      <source path='", fp);
	markup_escape(fp, in->serial_path);
	fputs("'/>\n"
	      "      <target port='0'/>\n"
	      "    </serial>\n"
	      "    <memballoon model='none'/>\n"
	      "  </devices>\n"
	      "</domain>\n", fp);
	if (fclose(fp) || !text) {
		free(text);
		return log_err(-ENOMEM, "domain XML: out of memory");
	}
	*out = text;
	return 0;
}
