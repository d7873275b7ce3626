// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The fleet fields of a report (recovery/engine/outcome.c): outcome for
 * each kind of run, keys_needed from locked volumes, crashes gathered with
 * their volume, machine.computer_name from the first volume naming one.
 */
#include "test.h"
#include "engine/outcome.h"

static const char *outcome_of(const char *json)
{
	static char buf[32];
	json_t *r = json_loads(json, 0, NULL);
	if (!r)
		return "(bad test JSON)";
	snprintf(buf, sizeof(buf), "%s", lg_report_outcome(r));
	json_decref(r);
	return buf;
}

static void test_outcomes(void)
{
	CHECK_STR(outcome_of("{\"mode\":\"fix\",\"exit_code\":0,\"volumes\":[{\"status\":\"fixed\"},{\"status\":\"not-windows\"}]}"), "fixed");
	CHECK_STR(outcome_of("{\"mode\":\"fix\",\"exit_code\":0,\"volumes\":[{\"status\":\"clean\",\"windows\":true}]}"), "nothing-to-do");
	CHECK_STR(outcome_of("{\"mode\":\"fix\",\"exit_code\":0,\"volumes\":[{\"status\":\"already-fixed\",\"windows\":true}]}"), "nothing-to-do");
	CHECK_STR(outcome_of("{\"mode\":\"scan\",\"exit_code\":3,\"volumes\":[{\"status\":\"matches\",\"windows\":true}]}"), "scanned");
	CHECK_STR(outcome_of("{\"mode\":\"fix\",\"exit_code\":4,\"volumes\":[{\"status\":\"fixed\"},{\"status\":\"locked\"}]}"), "locked");
	CHECK_STR(outcome_of("{\"mode\":\"fix\",\"exit_code\":4,\"volumes\":[{\"status\":\"refused\"}]}"), "refused");
	CHECK_STR(outcome_of("{\"mode\":\"fix\",\"exit_code\":1,\"volumes\":[{\"status\":\"partly-fixed\"},{\"status\":\"locked\"}]}"), "failed");
	CHECK_STR(outcome_of("{\"mode\":\"fix\",\"exit_code\":1,\"volumes\":[{\"status\":\"locked\"}]}"), "locked");
	CHECK_STR(outcome_of("{\"mode\":\"fix\",\"exit_code\":0,\"volumes\":[{\"status\":\"not-windows\",\"windows\":false}]}"), "no-windows");
	CHECK_STR(outcome_of("{\"mode\":\"fix\",\"exit_code\":0,\"volumes\":[]}"), "no-windows");
	CHECK_STR(outcome_of("{\"mode\":\"undo\",\"exit_code\":0,\"volumes\":[{\"status\":\"undone\"}]}"), "undone");
	CHECK_STR(outcome_of("{\"mode\":\"undo\",\"exit_code\":1,\"volumes\":[]}"), "failed");
	/* no deny-list could be used (the recovery image's own report): failed, not no-windows */
	CHECK_STR(outcome_of("{\"mode\":\"fix\",\"exit_code\":5,\"volumes\":[]}"), "failed");
}

static void test_fields(void)
{
	json_t *r = json_loads("{\"mode\":\"fix\",\"exit_code\":4,\"machine\":{\"product_uuid\":\"x\"},\"volumes\":["
			       "{\"status\":\"locked\",\"bitlocker\":{\"protectors\":[{\"id\":\"a\",\"recovery_key_id\":\"4381F759\"},"
			       "{\"id\":\"b\",\"type\":\"TPM\"},{\"recovery_key_id\":\"bad\"}]}},"
			       "{\"status\":\"fixed\",\"computer_name\":\"PC-0042\",\"crashes\":[{\"path\":\"Windows/MEMORY.DMP\"}]},"
			       "{\"status\":\"clean\",\"computer_name\":\"OTHER\"}]}", 0, NULL);
	CHECK(r != NULL);
	lg_report_add_fleet_fields(r);
	char *s = json_dumps(json_object_get(r, "keys_needed"), JSON_COMPACT);
	CHECK_STR(s, "[\"4381F759\"]");
	free(s);
	s = json_dumps(json_object_get(r, "crashes"), JSON_COMPACT | JSON_SORT_KEYS);
	CHECK_STR(s, "[{\"path\":\"Windows/MEMORY.DMP\",\"volume\":1}]");
	free(s);
	CHECK_STR(json_string_value(json_object_get(json_object_get(r, "machine"), "computer_name")), "PC-0042");
	CHECK_STR(json_string_value(json_object_get(r, "outcome")), "locked");
	/* the volume's own list is not changed */
	CHECK(!json_object_get(json_array_get(json_object_get(json_array_get(json_object_get(r, "volumes"), 1), "crashes"), 0), "volume"));
	json_decref(r);
}

int main(void)
{
	RUN(test_outcomes);
	RUN(test_fields);
	return t_done();
}
