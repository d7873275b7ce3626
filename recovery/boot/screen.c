// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The recovery image's screen as PID 1 draws it on the consoles (pid1.h):
 * the phases' times, the engine's last lines, and the final screen with
 * the verdict's words (verdict.c).
 */
#include "boot/pid1.h"

#include "boot/console.h"

/* ---- PID 1: phases, the engine's last lines, the screen -------------------- */

static const char *const phase_names[PH_COUNT] = { "mounts", "drivers", "disks", "network", "denylist", "engine",
						    "report", "finish" };

void pid1_phase_begin(struct init_state *s, enum phase p, const char *what)
{
	s->phase_start[p] = lg_con_step("%s", what);
}

void pid1_phase_end(struct init_state *s, enum phase p)
{
	s->phase_end[p] = lg_con_uptime();
}

/* The engine's last lines, shown again under the verdict. */
void pid1_keep_summary(struct init_state *s, const char *line)
{
	size_t len = strlen(line);
	if (len == 0)
		return;
	if (s->n_summary == SUMMARY_LINES) {
		memmove(s->summary[0], s->summary[1], sizeof(s->summary[0]) * (SUMMARY_LINES - 1));
		s->n_summary--;
	}
	size_t n = len < sizeof(s->summary[0]) - 1 ? len : sizeof(s->summary[0]) - 1;
	memcpy(s->summary[s->n_summary], line, n);
	s->summary[s->n_summary][n] = 0;
	s->n_summary++;
}

static void print_wrapped(const char *text)
{
	const size_t width = 76;
	const char *p = text;
	while (*p) {
		size_t len = strlen(p), cut = len;
		if (len > width) {
			cut = width;
			while (cut > 0 && p[cut] != ' ')
				cut--;
			if (cut == 0)
				cut = width;
		}
		lg_con_printf("  %.*s", (int)cut, p);
		p += cut;
		while (*p == ' ')
			p++;
	}
}

static const char rule[] = "==============================================================================";

void pid1_final_screen(struct init_state *s, const struct lg_verdict *v, const char *report, const char *next)
{
	lg_con_printf("%s", "");
	lg_con_printf("%s", rule);
	lg_con_printf("  lastgood: %s", v->title);
	lg_con_printf("%s", rule);
	if (s->n_summary) {
		lg_con_printf("  What lastgood reported:");
		for (size_t i = 0; i < s->n_summary; i++)
			lg_con_printf("    %s", s->summary[i]);
		lg_con_printf("%s", "");
	}
	print_wrapped(v->text);
	lg_con_printf("%s", "");
	if (s->net.have_plan)
		lg_con_printf("  Mode:      %s", s->net.mode_line);
	lg_con_printf("  Report:    %s", report);
	if (s->net.delivered[0])
		lg_con_printf("  Server:    report %s", s->net.delivered);
	lg_con_printf("  Next boot: %s", next);
	if (s->demo)
		lg_con_printf("  DEMO KEY:  this image trusts a key made when it was built: for tests only.");
	lg_con_printf("%s", rule);
}

void pid1_phase_summary(struct init_state *s)
{
	char line[512];
	size_t o = 0;
	for (int p = 0; p < PH_COUNT; p++)
		if (s->phase_end[p] > 0)
			o += (size_t)snprintf(line + o, sizeof(line) - o, " %s=%.2f", phase_names[p],
					      s->phase_end[p] - s->phase_start[p]);
	snprintf(line + o, sizeof(line) - o, " total=%.2f", lg_con_uptime());
	lg_con_printf("lastgood-phases:%s", line);
}
