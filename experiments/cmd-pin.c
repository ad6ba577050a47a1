/* stealscope pin: placeholder until its implementation lands. */
#include "experiments/commands.h"

#include "common/cli.h"
#include "common/log.h"

int cmd_pin(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return log_err(EXIT_UNSUPPORTED, "not implemented yet");
}
