// SPDX-License-Identifier: GPL-2.0
/*
 * Proves the kselftest harness builds and runs here: one test that
 * exercises the assertion macros the C selftests rely on.
 */
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"

TEST(harness_works)
{
	char buf[8] = "esptun";

	ASSERT_EQ(6U, strlen(buf));
	EXPECT_STREQ("esptun", buf);
	EXPECT_GT(getpid(), 0);
}

TEST_HARNESS_MAIN
