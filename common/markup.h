/*
 * markup: text for HTML and XML documents, escaped. One escaping for both
 * (report.html, libvirt domain XML): &, <, > and both quotes become
 * references valid in either language, so the text is safe in element
 * content and in attribute values quoted either way.
 *
 * It writes only to the stream it is given and never fails on its own
 * (the caller checks the stream's error state, as afile_commit() does).
 */
#ifndef STEALSCOPE_MARKUP_H
#define STEALSCOPE_MARKUP_H

#include <stdio.h>

/*
 * Write @s (NULL: nothing) to @fp escaped: & &amp;, < &lt;, > &gt;, "
 * &quot;, ' &#39;. Control characters other than tab and newline are
 * dropped (XML 1.0 does not allow them at all).
 */
void markup_escape(FILE *fp, const char *s);

#endif
