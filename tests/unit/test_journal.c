// SPDX-License-Identifier: GPL-2.0-or-later
#include "test.h"
#include "engine/journal.h"

static const char good[] =
	"{\"type\":\"begin\",\"run_id\":\"r1\",\"serial\":3}\n"
	"{\"type\":\"intent\",\"seq\":1,\"op\":\"quarantine\",\"from\":\"a.sys\",\"to\":\"$LastGood/quarantine/r1/a.sys\"}\n"
	"{\"type\":\"done\",\"seq\":1}\n"
	"{\"type\":\"intent\",\"seq\":2,\"op\":\"restore\",\"path\":\"a.sys\",\"tmp\":\"~a\",\"sha256\":\"00\"}\n";

static void test_parse_states(void)
{
	struct lg_journal *j = NULL;
	struct lg_err err = { "" };
	CHECK_INT(lg_journal_parse(good, strlen(good), &j, &err), 0);
	if (!j)
		return;
	CHECK_STR(j->run_id, "r1");
	CHECK_INT(j->n_steps, 2);
	CHECK_INT(j->steps[0].state, LG_STEP_DONE);
	CHECK_INT(j->steps[1].state, LG_STEP_INTENT);
	CHECK_STR(lg_step_str(&j->steps[0], "from"), "a.sys");
	CHECK(!j->ended);
	CHECK(!j->torn_tail);
	lg_journal_free(j);
}

static void test_torn_tail_ignored(void)
{
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s{\"type\":\"done\",\"se", good);
	struct lg_journal *j = NULL;
	struct lg_err err = { "" };
	CHECK_INT(lg_journal_parse(buf, strlen(buf), &j, &err), 0);
	if (!j)
		return;
	CHECK(j->torn_tail);
	CHECK_INT(j->steps[1].state, LG_STEP_INTENT);
	lg_journal_free(j);
	/* Stale bytes with newlines after the last good record: still a tail. */
	snprintf(buf, sizeof(buf), "%sgarbage\n\x01\x02\n", good);
	CHECK_INT(lg_journal_parse(buf, strlen(buf), &j, &err), 0);
	lg_journal_free(j);
}

static void test_damage_refused(void)
{
	struct lg_journal *j = NULL;
	struct lg_err err = { "" };
	char buf[1024];
	snprintf(buf, sizeof(buf), "{\"type\":\"begin\",\"run_id\":\"r\"}\nnot json\n{\"type\":\"end\"}\n");
	CHECK_INT(lg_journal_parse(buf, strlen(buf), &j, &err), -EBADMSG);
	CHECK_CONTAINS(err.msg, "line 2");
	const char *cases[] = {
		"{\"type\":\"intent\",\"seq\":1,\"op\":\"x\"}\n",
		"{\"type\":\"begin\",\"run_id\":\"r\"}\n{\"type\":\"done\",\"seq\":9}\n",
		"{\"type\":\"begin\",\"run_id\":\"r\"}\n{\"type\":\"intent\",\"seq\":-1,\"op\":\"x\"}\n",
		"{\"type\":\"begin\",\"run_id\":\"r\"}\n{\"type\":\"intent\",\"seq\":1,\"op\":\"x\"}\n{\"type\":\"intent\",\"seq\":1,\"op\":\"x\"}\n",
		"{\"type\":\"begin\",\"run_id\":\"r\"}\n{\"type\":\"bogus\",\"seq\":1}\n",
		"{\"type\":\"begin\",\"run_id\":\"r\",\"run_id\":\"s\"}\n",
		"",
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		err.msg[0] = 0;
		j = NULL;
		int r = lg_journal_parse(cases[i], strlen(cases[i]), &j, &err);
		if (r != -EBADMSG)
			T_FAIL_AT("case %zu: expected -EBADMSG, got %d", i, r);
		t_checks++;
		CHECK(j == NULL);
		CHECK(err.msg[0] != 0);
	}
}

static void test_line_roundtrip(void)
{
	json_t *rec = json_pack("{s:s, s:s}", "type", "begin", "run_id", "x\ny");
	char *line = lg_journal_line(rec);
	json_decref(rec);
	CHECK(line != NULL);
	/* One record is one line, whatever its strings hold. */
	CHECK_INT(strchr(line, '\n') - line, (long)strlen(line) - 1);
	struct lg_journal *j = NULL;
	struct lg_err err = { "" };
	CHECK_INT(lg_journal_parse(line, strlen(line), &j, &err), 0);
	if (j)
		CHECK_STR(j->run_id, "x\ny");
	lg_journal_free(j);
	free(line);
}

int main(void)
{
	RUN(test_parse_states);
	RUN(test_torn_tail_ignored);
	RUN(test_damage_refused);
	RUN(test_line_roundtrip);
	return t_done();
}
