// SPDX-License-Identifier: BSD-2-Clause
/*
 * CUnit tests of the scenario language's parser (test-fabric/sim/scn.c,
 * doc/scenarios.md): what a scenario says is what the runner gets, and what
 * it must not say is refused with its line.
 */
#include "scn.h"
#include "unit.h"

#include <errno.h>
#include <string.h>

static struct scn *parse_ok(const char *text)
{
	struct scn *s = NULL;
	int rc = scn_parse(text, &s);

	CU_ASSERT_EQUAL(rc, 0);
	if (rc)
		fprintf(stderr, "line %u: %s\n", s ? s->err_line : 0, s ? s->err : "");
	return s;
}

/* Refused at @line, with @part in the reason. */
static void refused(const char *text, unsigned line, const char *part)
{
	struct scn *s = NULL;

	CU_ASSERT_EQUAL(scn_parse(text, &s), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(s->err_line, line);
	CU_ASSERT_PTR_NOT_NULL(strstr(s->err, part));
	if (s->err_line != line || !strstr(s->err, part))
		fprintf(stderr, "got line %u: %s\n", s->err_line, s->err);
	scn_free(s);
}

static const char story[] =
	"# a comment line\n"
	"fabric small plugin standby hostd   # the default fabric\n"
	"\n"
	"agent hosta hostb\n"
	"agent hostc\n"
	"vm web on hosta\n"
	"vm db on hostb vguid 0x0002c903abcd0e0b\n"
	"interest db web\n"
	"create web db\n"
	"migrate web to hostc\n"
	"migrate db to hosta with escrow\n"
	"evacuate hostc to hostb\n"
	"wait 1.5s\n"
	"expect path db web lid-of hostb within 10s\n"
	"expect notices hostb 4 within 250ms\n"
	"expect vm-notices web 0\n"
	"expect reports-per-migration 6\n"
	"expect master hostd within 5s\n"
	"expect resync within 5s\n"
	"fault sm kill\n"
	"fault standby restart\n"
	"fault agent hostb restart\n"
	"fault loss hostb 1 30\n"
	"fault link hostc 1 down\n"
	"fault malformed-mad hosta\n"
	"say web  moves (again) # not said\n"
	"show traps\n";

/* Step @i of @s, read back as a line, is @want. */
static void step_is(const struct scn *s, size_t i, const char *want)
{
	char buf[256];

	scn_step_str(s, &s->steps[i], buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, want);
}

static void test_story_is_what_the_runner_gets(void)
{
	struct scn *s = parse_ok(story);
	const struct scn_step *st;
	int hostb;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(s->topology, "small");
	CU_ASSERT_EQUAL(s->sm, SCN_SM_PLUGIN);
	CU_ASSERT_STRING_EQUAL(s->nodes[s->standby], "hostd");
	CU_ASSERT_EQUAL(s->n_vms, 2);
	CU_ASSERT_EQUAL(s->vms[0].vguid, SCN_VGUID_BASE + 1);	/* automatic */
	CU_ASSERT_FALSE(s->vms[0].vguid_given);
	CU_ASSERT_EQUAL(s->vms[1].vguid, 0x0002c903abcd0e0bULL);
	CU_ASSERT_EQUAL(s->vms[1].n_peers, 1);
	CU_ASSERT_EQUAL(s->vms[1].peers[0], 0);
	hostb = scn_node_find(s, "hostb");
	CU_ASSERT_TRUE(hostb >= 0 && s->agent[hostb]);
	CU_ASSERT_FALSE(s->agent[s->standby]);
	/* "create web db" is two steps: each has its own line in the report. */
	CU_ASSERT_EQUAL_FATAL(s->n_steps, 20);
	CU_ASSERT_EQUAL(s->steps[0].op, SCN_CREATE);
	CU_ASSERT_EQUAL(s->steps[1].op, SCN_CREATE);
	CU_ASSERT_EQUAL(s->steps[1].vm, 1);
	st = &s->steps[3];
	CU_ASSERT_EQUAL(st->op, SCN_MIGRATE);
	CU_ASSERT_TRUE(st->flag);	/* escrow */
	CU_ASSERT_EQUAL(st->line, 11);
	CU_ASSERT_EQUAL(s->steps[5].op, SCN_WAIT);
	CU_ASSERT_EQUAL(s->steps[5].ms, 1500);
	st = &s->steps[6];
	CU_ASSERT_EQUAL(st->op, SCN_EXPECT_PATH);
	CU_ASSERT_EQUAL(st->vm, 1);
	CU_ASSERT_EQUAL(st->peer, 0);
	CU_ASSERT_EQUAL(st->node, hostb);
	CU_ASSERT_TRUE(st->within);
	CU_ASSERT_EQUAL(st->ms, 10000);
	CU_ASSERT_EQUAL(s->steps[7].n, 4);
	CU_ASSERT_EQUAL(s->steps[7].ms, 250);
	CU_ASSERT_FALSE(s->steps[8].within);	/* checked once */
	CU_ASSERT_EQUAL(s->steps[12].op, SCN_FAULT_PROC);
	CU_ASSERT_EQUAL(s->steps[12].target, SCN_TARGET_SM);
	CU_ASSERT_FALSE(s->steps[12].flag);
	CU_ASSERT_EQUAL(s->steps[13].target, SCN_TARGET_STANDBY);
	CU_ASSERT_TRUE(s->steps[13].flag);
	CU_ASSERT_EQUAL(s->steps[14].target, SCN_TARGET_AGENT);
	CU_ASSERT_EQUAL(s->steps[14].node, hostb);
	CU_ASSERT_EQUAL(s->steps[15].op, SCN_FAULT_LOSS);
	CU_ASSERT_EQUAL(s->steps[15].port, 1);
	CU_ASSERT_EQUAL(s->steps[15].n, 30);
	CU_ASSERT_EQUAL(s->steps[16].op, SCN_FAULT_LINK);
	CU_ASSERT_FALSE(s->steps[16].flag);	/* down */
	CU_ASSERT_EQUAL(s->steps[17].op, SCN_FAULT_MALFORMED);
	/* The narration as written, blanks inside kept, the comment left out. */
	CU_ASSERT_STRING_EQUAL(s->steps[18].text, "web  moves (again)");
	CU_ASSERT_STRING_EQUAL(s->steps[19].text, "traps");
	scn_free(s);
}

static void test_step_lines_read_back(void)
{
	struct scn *s = parse_ok(story);

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	step_is(s, 3, "migrate db to hosta with escrow");
	step_is(s, 6, "expect path db web lid-of hostb within 10s");
	step_is(s, 7, "expect notices hostb 4 within 250ms");
	step_is(s, 14, "fault agent hostb restart");
	step_is(s, 12, "fault sm kill");
	scn_free(s);
}

static void test_durations(void)
{
	uint64_t ms = 7;

	CU_ASSERT_EQUAL(scn_parse_duration("10s", &ms), 0);
	CU_ASSERT_EQUAL(ms, 10000);
	CU_ASSERT_EQUAL(scn_parse_duration("250ms", &ms), 0);
	CU_ASSERT_EQUAL(ms, 250);
	CU_ASSERT_EQUAL(scn_parse_duration("250", &ms), 0);	/* milliseconds, as wait MS */
	CU_ASSERT_EQUAL(ms, 250);
	CU_ASSERT_EQUAL(scn_parse_duration("1.5s", &ms), 0);
	CU_ASSERT_EQUAL(ms, 1500);
	CU_ASSERT_EQUAL(scn_parse_duration("0.25s", &ms), 0);
	CU_ASSERT_EQUAL(ms, 250);
	CU_ASSERT_EQUAL(scn_parse_duration("3600s", &ms), 0);
	ms = 7;
	CU_ASSERT_EQUAL(scn_parse_duration("3601s", &ms), -EINVAL);	/* an hour at most */
	CU_ASSERT_EQUAL(scn_parse_duration("1.5ms", &ms), -EINVAL);
	CU_ASSERT_EQUAL(scn_parse_duration("1.2345s", &ms), -EINVAL);
	CU_ASSERT_EQUAL(scn_parse_duration("10m", &ms), -EINVAL);
	CU_ASSERT_EQUAL(scn_parse_duration("s", &ms), -EINVAL);
	CU_ASSERT_EQUAL(scn_parse_duration("-1", &ms), -EINVAL);
	CU_ASSERT_EQUAL(scn_parse_duration("", &ms), -EINVAL);
	CU_ASSERT_EQUAL(ms, 7);
}

static void test_setup_comes_first(void)
{
	refused("agent hosta\n", 1, "first line must be \"fabric");
	refused("fabric small\nagent hosta\nvm a on hosta\ncreate a\nvm b on hosta\n", 5,
		"after the first step");
	refused("fabric small\nfabric small\n", 2, "second fabric");
	refused("", 0, "no fabric line");
	refused("# only a comment\n\n", 0, "no fabric line");
}

static void test_vms_need_agents_and_names(void)
{
	refused("fabric small\nvm a on hosta\n", 2, "no agent on hosta");
	refused("fabric small\nagent hosta\nvm a on hosta\nvm a on hosta\n", 4, "second VM");
	refused("fabric small\nagent hosta\nvm a/b on hosta\n", 3, "not a VM name");
	refused("fabric small\nagent hosta\nvm a on hosta vguid 0\n", 3, "not a vGUID");
	refused("fabric small\nagent hosta\nvm a on hosta vguid 0x0002c903abcd0002\n"
		"vm b on hosta\n", 4, "has the vGUID of a");
	refused("fabric small\nagent hosta\nvm a on hosta\ninterest a a\n", 4, "to itself");
	refused("fabric small\nagent hosta\nvm a on hosta\ninterest a b\n", 4, "no VM named b");
	refused("fabric small\nagent hosta\nvm a on hosta\nmigrate a to hostb\n", 4,
		"no agent on hostb");
	refused("fabric small\nagent hosta\nvm a on hosta\ncreate b\n", 4, "no VM named b");
	refused("fabric small\nagent hosta hostb\nvm a on hosta\nmigrate a to hostb escrow\n", 4,
		"usage: migrate NAME to NODE [with escrow]");
	refused("fabric small\nagent hosta hostb\nvm a on hosta\nmigrate a to hostb with\n", 4,
		"usage: migrate");
	refused("fabric small\nagent hosta hostb\nvm a on hosta\n"
		"migrate a to hostb with care\n", 4, "usage: migrate");
}

static void test_expectations_say_what_they_need(void)
{
	static const char head[] = "fabric small\nagent hosta hostb\nvm a on hosta\n"
				   "vm b on hostb\n";
	char text[512];

	snprintf(text, sizeof(text), "%sexpect path b a lid-of hosta within 1s\n", head);
	refused(text, 5, "holds no path to a");
	snprintf(text, sizeof(text), "%sinterest b a\nexpect path b a lid-of hosta within\n",
		 head);
	refused(text, 6, "within T");
	snprintf(text, sizeof(text), "%sinterest b a\nexpect path b a lid-of hosta within 1h\n",
		 head);
	refused(text, 6, "not a duration");
	snprintf(text, sizeof(text), "%sexpect notices hostc 2\n", head);
	refused(text, 5, "no agent on hostc");
	snprintf(text, sizeof(text), "%sexpect reports-per-migration x\n", head);
	refused(text, 5, "not a number");
	snprintf(text, sizeof(text), "%sexpect nothing\n", head);
	refused(text, 5, "usage: expect");
}

static void test_faults_say_what_they_need(void)
{
	refused("fabric small\nfault standby kill\n", 2, "names no standby");
	refused("fabric small plugin\nfault extension restart\n", 2, "runs no extension");
	refused("fabric small extension\nfault extension restart\n", 0,
		"needs an \"extension NODE\" line");
	refused("fabric small plugin\nextension spare\n", 2, "says no \"extension\"");
	refused("fabric small extension\nextension spare hostd\n", 2, "usage: extension NODE");
	refused("fabric small\nfault sm reboot\n", 2, "usage: fault sm");
	refused("fabric small\nfault loss hosta 0 10\n", 2, "ports are 1 to 254");
	refused("fabric small\nfault loss hosta 1 101\n", 2, "percent");
	refused("fabric small\nfault link hosta 1 sideways\n", 2, "down or up");
	refused("fabric small\nfault agent hosta kill\n", 2, "no agent on hosta");
	refused("fabric small\nshow everything\n", 2, "usage: show");
	refused("fabric small\nwait forever\n", 2, "usage: wait");
	refused("fabric small\ndance\n", 2, "unknown word");
}

static void test_stop_and_create_elsewhere(void)
{
	struct scn *s = parse_ok("fabric small\nagent hosta hostb\nvm a on hosta\ncreate a\n"
				 "stop a\ncreate a on hostb\n");

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL_FATAL(s->n_steps, 3);
	CU_ASSERT_EQUAL(s->steps[0].node, -1);	/* its own node */
	CU_ASSERT_EQUAL(s->steps[1].op, SCN_STOP);
	CU_ASSERT_EQUAL(s->steps[2].op, SCN_CREATE);
	CU_ASSERT_EQUAL(s->steps[2].node, scn_node_find(s, "hostb"));
	step_is(s, 2, "create a on hostb");
	scn_free(s);
	refused("fabric small\nagent hosta\nvm a on hosta\ncreate a on hostc\n", 4,
		"no agent on hostc");
}

static void test_extension_and_none(void)
{
	struct scn *s = parse_ok("fabric ../x/big.net extension\nextension spare\n"
				 "fault extension kill\n");

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(s->topology, "../x/big.net");
	CU_ASSERT_EQUAL(s->sm, SCN_SM_EXTENSION);
	CU_ASSERT_EQUAL(s->standby, -1);
	CU_ASSERT_EQUAL(s->ext_node, scn_node_find(s, "spare"));
	CU_ASSERT(s->ext_node >= 0);
	scn_free(s);
	s = parse_ok("fabric small\nexpect saved within 5s\nexpect resync\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(s->steps[0].op, SCN_EXPECT_SAVED);
	CU_ASSERT_EQUAL(s->steps[0].ms, 5000);
	CU_ASSERT_EQUAL(s->steps[1].op, SCN_EXPECT_RESYNC);
	CU_ASSERT_FALSE(s->steps[1].within);
	scn_free(s);
	s = parse_ok("fabric small none\nsm hostd\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(s->sm, SCN_SM_NONE);
	CU_ASSERT_STRING_EQUAL(s->nodes[s->sm_node], "hostd");
	scn_free(s);
}

/* The vSwitch model: VMs at VFs, moved with escrow between vSwitches by their PFs' agents. */
static const char vswitch_head[] = "fabric vswitch plugin\n"
				   "vswitch vsw1 pf pf1\nvswitch vsw3 pf pf3\n"
				   "agent pf1 pf2 pf3\nvm web at vf1-1\nvm peer on pf2\n";

static void test_vswitch_is_what_the_runner_gets(void)
{
	char text[512];
	struct scn *s;
	int web;

	snprintf(text, sizeof(text), "%sinterest peer web\nmigrate web to vf3-2 with escrow\n"
		 "expect lid-kept web\nexpect release-refused web by pf2\n", vswitch_head);
	s = parse_ok(text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL_FATAL(s->n_vswitches, 2);
	CU_ASSERT_EQUAL(s->vswitches[0].sw, scn_node_find(s, "vsw1"));
	CU_ASSERT_EQUAL(s->vswitches[1].pf, scn_node_find(s, "pf3"));
	CU_ASSERT_PTR_EQUAL(scn_vswitch_of(s, scn_node_find(s, "vsw3")), &s->vswitches[1]);
	CU_ASSERT_PTR_NULL(scn_vswitch_of(s, scn_node_find(s, "pf1")));
	web = scn_vm_find(s, "web");
	CU_ASSERT_TRUE(s->vms[web].vf);
	CU_ASSERT_EQUAL(s->vms[web].node, scn_node_find(s, "vf1-1"));
	CU_ASSERT_EQUAL(s->vms[web].vguid, 0);	/* its VF's port GUID: the runner reads it */
	CU_ASSERT_FALSE(s->agent[s->vms[web].node]);
	CU_ASSERT_EQUAL_FATAL(s->n_steps, 3);
	CU_ASSERT_EQUAL(s->steps[0].op, SCN_MIGRATE);
	CU_ASSERT_TRUE(s->steps[0].flag);
	CU_ASSERT_EQUAL(s->steps[0].node, scn_node_find(s, "vf3-2"));
	CU_ASSERT_EQUAL(s->steps[1].op, SCN_EXPECT_LID_KEPT);
	CU_ASSERT_EQUAL(s->steps[1].vm, web);
	CU_ASSERT_EQUAL(s->steps[2].op, SCN_EXPECT_REFUSED);
	CU_ASSERT_EQUAL(s->steps[2].node, scn_node_find(s, "pf2"));
	step_is(s, 1, "expect lid-kept web");
	step_is(s, 2, "expect release-refused web by pf2");
	scn_free(s);
}

static void test_vswitch_refusals(void)
{
	char text[512];

	refused("fabric vswitch\nvswitch vsw1 pf\n", 2, "usage: vswitch SWITCH pf NODE");
	refused("fabric vswitch\nvswitch vsw1 pf vsw1\n", 2, "its own PF");
	refused("fabric vswitch\nvswitch vsw1 pf pf1\nvswitch vsw1 pf pf2\n", 3,
		"a second vswitch line for vsw1");
	refused("fabric vswitch\nagent pf1\nvm a at vf1-1\n", 3, "no \"vswitch SWITCH pf");
	refused("fabric vswitch\nvswitch vsw1 pf pf1\nvm a at vf1-1 vguid 0x1\n", 3,
		"usage: vm NAME on NODE [vguid G], vm NAME at VF");
	refused("fabric vswitch\nvswitch vsw1 pf pf1\nvm a at vf1-1\nvm b at vf1-1\n", 4,
		"one VM per VF");
	refused("fabric vswitch\nvswitch vsw1 pf pf1\nvm a at vf1-1\ncreate a\n", 4,
		"there from the start");
	refused("fabric vswitch\nvswitch vsw1 pf pf1\nvm a at vf1-1\nmigrate a to vf3-2\n",
		4, "with escrow only");
	refused("fabric vswitch\nvswitch vsw1 pf pf1\nvm a at vf1-1\nexpect lid-kept\n", 4,
		"usage: expect lid-kept NAME");
	refused("fabric vswitch\nvswitch vsw1 pf pf1\nvm a at vf1-1\n"
		"expect release-refused a pf2\n", 4, "usage: expect release-refused NAME by NODE");
	snprintf(text, sizeof(text), "%sexpect release-refused web by pf4\n", vswitch_head);
	refused(text, 7, "no agent on pf4");
	snprintf(text, sizeof(text), "%sexpect lid-kept nobody\n", vswitch_head);
	refused(text, 7, "no VM named nobody");
	snprintf(text, sizeof(text), "%sexpect lid-kept peer\n", vswitch_head);
	refused(text, 7, "not a VF's VM");
	snprintf(text, sizeof(text), "%swait 1s\nvswitch vsw4 pf pf4\n", vswitch_head);
	refused(text, 8, "after the first step");
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(test_story_is_what_the_runner_gets),
		UNIT_TEST(test_step_lines_read_back),
		UNIT_TEST(test_durations),
		UNIT_TEST(test_setup_comes_first),
		UNIT_TEST(test_vms_need_agents_and_names),
		UNIT_TEST(test_expectations_say_what_they_need),
		UNIT_TEST(test_faults_say_what_they_need),
		UNIT_TEST(test_stop_and_create_elsewhere),
		UNIT_TEST(test_extension_and_none),
		UNIT_TEST(test_vswitch_is_what_the_runner_gets),
		UNIT_TEST(test_vswitch_refusals),
	};

	return unit_run("scenario language", NULL, NULL, tests, sizeof(tests) / sizeof(tests[0]));
}
