/*
 * commands: the subcommands of the `stealscope` binary. Each handler gets
 * its own argv (argv[0] is the subcommand name), parses its options with
 * getopt_long, and returns the process exit code (common/cli.h: 0 ok,
 * 1 failure, 2 usage, 4 unsupported here). Only these handlers and main()
 * decide exit codes.
 */
#ifndef STEALSCOPE_EXPERIMENTS_COMMANDS_H
#define STEALSCOPE_EXPERIMENTS_COMMANDS_H

int cmd_run(int argc, char **argv);     /* experiments/cmd-run.c */
int cmd_list(int argc, char **argv);    /* experiments/cmd-list.c */
int cmd_plot(int argc, char **argv);    /* experiments/cmd-plot.c */
int cmd_report(int argc, char **argv);  /* experiments/cmd-report.c */
int cmd_doctor(int argc, char **argv);  /* experiments/cmd-doctor.c */
int cmd_pin(int argc, char **argv);     /* experiments/cmd-pin.c */
int cmd_watch(int argc, char **argv);   /* experiments/cmd-watch.c */

#endif
